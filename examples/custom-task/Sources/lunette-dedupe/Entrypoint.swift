import Commands
import NearDuplicateFilter

/// `lunette-dedupe`: the whole `lunette` command line, with the near-duplicate filter registered
/// beside the built-in task types, so manifests can name `task: near-duplicate-filter`.
@main
struct Entrypoint {
    static func main() async {
        await RootCommand.main(registering: [NearDuplicateFilter()])
    }
}
