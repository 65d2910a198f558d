import ArgumentParser
import Foundation
import Workspace

/// `lunette init`: scaffolds a workspace.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a workspace: a commented manifest, a sample data file and .gitignore lines. Overwrites nothing.")

    @Argument(help: "The folder to create it in (default: the current folder).") var directory: String = "."
    @Option(help: "The project's name (default: the folder's name).") var name: String?

    func run() async throws {
        do {
            let url = URL(fileURLWithPath: directory).standardizedFileURL
            let project = name ?? Self.projectName(from: url.lastPathComponent)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            let created = try WorkspaceScaffold.create(in: url, project: project)
            for path in created { print("created \(path)") }
            print("next: cd \(directory) && lunette plan && lunette run")
            print("      (with LUNETTE_MODELS set to the models folder scripts/setup installed, unless this is that checkout)")
        } catch {
            throw CommandFailure.report(error)
        }
    }

    static func projectName(from folder: String) -> String {
        let cleaned = folder.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let name = String(cleaned).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return name.isEmpty || !(name.first?.isLetter ?? false) ? "my-metrics" : name
    }
}
