import ArgumentParser
import Foundation
import TaskInterface
import TaskTypes
import Workspace

/// Options every workspace command takes.
struct GlobalOptions: ParsableArguments {
    /// The task types the engine runs: the built-in ones, plus what a `lunette`-compatible executable
    /// registers through ``RootCommand/main(registering:)``.
    @TaskLocal static var taskTypes: TaskTypeRegistry = .builtin

    @Option(name: [.customShort("C"), .long], help: "Run as if started in this folder.")
    var directory: String?

    /// Opens the workspace at or above the working directory.
    func workspace() throws -> Workspace {
        let start = directory.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let root = try Workspace.discoverRoot(from: start)
        return Workspace(root: root, registry: Self.taskTypes)
    }

    /// A path the user gave on the command line: relative to `-C DIR` when given (as `git -C`
    /// takes paths), otherwise to the working directory.
    func path(_ path: String) -> URL {
        guard let directory, !path.hasPrefix("/") else { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).standardizedFileURL
    }
}
