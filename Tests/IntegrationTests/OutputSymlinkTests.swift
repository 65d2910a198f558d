import Execution
import Foundation
import Testing
import Workspace
import _TestSupport

/// A stage that makes a symlink out of the workspace must not lead Lunette to delete or write
/// through it when it clears, restores or publishes a later stage's output in the same run (the
/// load-time check can't see a link that does not exist yet).
@Suite("Outputs through symlinks made during a run", .serialized)
struct OutputSymlinkTests {
    /// The `diskfull` case with two custom stages: `link` runs `linkCommand` then writes
    /// out/link.txt; `clobber` reads that and writes lk/y.txt.
    private func manifest(linkCommand: String) -> String {
        """
        project: diskfull
        runs:
          first:
            metric: { name: polite, output: boolean, input: message }
            test_set: { path: ../data/test.csv, columns: { input: text } }
            register: false
            training_set: { upload: { path: ../data/test.csv, columns: { input: text } } }
            stages:
              link:
                command: \(linkCommand) && mkdir -p ../out && echo linked > ../out/link.txt
                outputs: [../out/link.txt]
              clobber:
                inputs: [../out/link.txt]
                command: echo new > ../lk/y.txt
                outputs: [../lk/y.txt]

        """
    }

    private func failure(_ summary: RunSummary, stage: String) -> String? {
        guard case .failed(let message)? = summary.report?.outcomes.first(where: { $0.id.stage == stage })?.status else {
            return nil
        }
        return message
    }

    @Test("clearing an output through a symlink an earlier stage just made to /elsewhere is refused; /elsewhere/y.txt survives")
    func clearingThroughNewLink() async throws {
        let outside = try TemporaryDirectory(prefix: "elsewhere")
        defer { outside.remove() }
        try outside.write("precious", to: "y.txt")
        let workspace = try CaseWorkspace("diskfull", project: "diskfull")
        try workspace.write(manifest(linkCommand: "ln -sfn \(outside.path) ../lk"), to: "workflows/diskfull.yaml")

        let summary = try await workspace.workspace([]).run(RunRequest(targets: ["diskfull/first/clobber"]))
        let message = try #require(failure(summary, stage: "clobber"), "\(summary.report?.outcomes ?? [])")
        #expect(message.contains("refusing to clear or write output"), "\(message)")
        #expect(message.contains("lk/y.txt goes through the symlink lk -> "), "\(message)")
        #expect(message.contains("outside the workspace"), "\(message)")
        #expect(outside.read("y.txt") == "precious")
    }

    @Test("restoring an up-to-date output through a symlink an upstream stage just made is refused; /elsewhere/y.txt survives")
    func restoringThroughNewLink() async throws {
        let outside = try TemporaryDirectory(prefix: "elsewhere")
        defer { outside.remove() }
        try outside.write("precious", to: "y.txt")
        let workspace = try CaseWorkspace("diskfull", project: "diskfull")
        try workspace.write(manifest(linkCommand: "mkdir -p ../lk"), to: "workflows/diskfull.yaml")
        let first = try await workspace.workspace([]).run(RunRequest(targets: ["diskfull/first/clobber"]))
        #expect(first.report?.failed.isEmpty == true, "\(first.report?.outcomes ?? [])")
        #expect(try workspace.read("lk/y.txt") == "new\n")

        // `link` runs again (its command changed) with the same output, so `clobber` is reused and
        // its output restored at lk/y.txt — now a link to /elsewhere.
        try workspace.write(
            manifest(linkCommand: "rm -rf ../lk && ln -sfn \(outside.path) ../lk"), to: "workflows/diskfull.yaml")
        let second = try await workspace.workspace([]).run(RunRequest(targets: ["diskfull/first/clobber"]))
        let message = try #require(failure(second, stage: "clobber"), "\(second.report?.outcomes ?? [])")
        #expect(message.contains("refusing to restore output"), "\(message)")
        #expect(message.contains("outside the workspace"), "\(message)")
        #expect(outside.read("y.txt") == "precious")
    }
}
