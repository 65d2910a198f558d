import Commands

/// The `lunette` executable: only starts the command tree.
@main
struct Entrypoint {
    static func main() async {
        RootCommand.prepareProcess()
        await RootCommand.execute(RootCommand.arguments(Array(CommandLine.arguments.dropFirst())))
    }
}
