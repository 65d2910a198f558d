import Commands

/// The `lunette` executable: only starts the command tree, with the built-in task types.
@main
struct Entrypoint {
    static func main() async {
        await RootCommand.main(registering: [])
    }
}
