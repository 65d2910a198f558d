import Commands

/// The `lunette` executable: only starts the command tree.
@main
struct Entrypoint {
    static func main() async {
        await RootCommand.main(RootCommand.arguments(Array(CommandLine.arguments.dropFirst())))
    }
}
