import Basics
import Execution
import Foundation
import RunStore
import Testing
import WorkflowModel

@testable import Workspace

/// `lunette run`'s up-to-date stamp: once a run found everything up to date, the same run asked
/// again answers from the stamp while nothing it read changed, and plans as usual as soon as
/// anything did.
@Suite("Up-to-date stamp")
struct UpToDateStampTests {
    /// A workspace that ran once, then found everything up to date once (which wrote the stamp).
    static func stamped() async throws -> CaseWorkspace {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try await workspace.run()
        // The stamp vouches only for files that changed before the run that writes it began.
        try await Task.sleep(for: .milliseconds(20))
        let checked = try await noOp(workspace)
        #expect(!checked.answeredByStamp)
        #expect(try #require(checked.report).ran == 0)
        return workspace
    }

    static func noOp(_ workspace: CaseWorkspace, _ request: RunRequest = RunRequest()) async throws -> RunSummary {
        var request = request
        request.useStamp = true
        return try await workspace.workspace().run(request)
    }

    static func stampFile(_ workspace: CaseWorkspace) -> URL {
        workspace.root.appendingPathComponent("cache/\(UpToDateStamp.fileName)")
    }

    @Test("the same no-op again is answered by the stamp, and recorded as an invocation")
    func answersNoOp() async throws {
        let workspace = try await Self.stamped()
        let full = try #require(try await workspace.workspace().run(RunRequest()).report)
        let summary = try await Self.noOp(workspace)
        #expect(summary.answeredByStamp)
        let report = try #require(summary.report)
        #expect(report.reused == full.reused && report.ran == 0 && report.failed.isEmpty)
        #expect(Set(report.outcomes.map(\.id)) == Set(full.outcomes.map(\.id)))
        #expect(Set(report.outcomes.map(\.key)) == Set(full.outcomes.map(\.key)))
        #expect(summary.plan.stages.isEmpty)
        let store = try RunStore(path: workspace.root.appendingPathComponent("cache/lunette.sqlite"))
        let last = try #require(try store.recentInvocations(limit: 1).first)
        #expect(last.outcome == "succeeded" && last.stats["reused"] == full.reused && last.stats["ran"] == 0)
        // A request without `useStamp` plans as before.
        #expect(try await !workspace.workspace().run(RunRequest()).answeredByStamp)
    }

    /// One change to what a no-op reads, and what the next run must then do.
    struct Change: CustomTestStringConvertible, Sendable {
        var name: String
        var apply: @Sendable (CaseWorkspace) throws -> Void
        /// A stage that must run again (or be restored) after the change, when any.
        var reruns: String?
        /// Whether the workspace's exec outputs stay as they were (they are restored when deleted).
        var keepsOutputs = true
        var testDescription: String { name }
    }

    static let changes: [Change] = [
        Change(name: "an edited input file", apply: { workspace in
            try workspace.write(try workspace.read("data/test.csv") + "\"One more polite line\",yes\n", to: "data/test.csv")
        }, reruns: "shop/tone-a/load", keepsOutputs: false),
        Change(name: "an edited manifest", apply: { try $0.switchTo("v2") }, reruns: "shop/tone-a/train"),
        Change(name: "a deleted output in the workspace", apply: { workspace in
            try FileManager.default.removeItem(at: workspace.root.appendingPathComponent("out/a-doubled.txt"))
        }, reruns: nil),
        Change(name: "a deleted object in the cache", apply: { workspace in
            let lock = try workspace.read("workflows/shop.lock")
            let digest = try #require(lock.firstMatch(of: /"digest":\s*"sha256:([0-9a-f]{64})"/)?.1)
            try FileManager.default.removeItem(
                at: workspace.root.appendingPathComponent("cache/objects/\(digest.prefix(2))/\(digest)"))
        }, reruns: nil),
        Change(name: "an edited lock", apply: { workspace in
            try workspace.write(try workspace.read("workflows/shop.lock") + "\n", to: "workflows/shop.lock")
        }, reruns: nil),
        Change(name: "a run status changed in the store", apply: { workspace in
            let store = try RunStore(path: workspace.root.appendingPathComponent("cache/lunette.sqlite"))
            try store.setRunStatus(project: "shop", run: "tone-a", status: .cancelled, reason: "by hand", at: Date())
        }, reruns: nil),
        Change(name: "a new base model file", apply: { workspace in
            try Data("more\n".utf8).write(to: workspace.models.appendingPathComponent("minilm-l6/extra.txt"))
        }, reruns: "shop/tone-a/train"),
        Change(name: "a settings file added", apply: { workspace in
            try workspace.write("# no remote\n", to: "lunette.yaml")
        }, reruns: nil),
    ]

    @Test("any change to what the no-op read is seen", arguments: changes)
    func changeIsSeen(change: Change) async throws {
        let workspace = try await Self.stamped()
        try change.apply(workspace)
        let summary = try await Self.noOp(workspace)
        #expect(!summary.answeredByStamp)
        let report = try #require(summary.report)
        if let stage = change.reruns {
            #expect(report.outcomes.first { $0.id.description == stage }?.status == .succeeded)
        }
        if change.keepsOutputs { #expect(try workspace.read("out/a-doubled.txt") == "16 16\n") }
        #expect(report.failed.isEmpty)
    }

    @Test("another target set, --force, a dry run or a remote never use it")
    func otherRequests() async throws {
        let workspace = try await Self.stamped()
        #expect(try await !Self.noOp(workspace, RunRequest(targets: ["shop/tone-a"])).answeredByStamp)
        // That run found everything up to date: the stamp is now its own, not the full run's.
        try await Task.sleep(for: .milliseconds(20))
        #expect(try await !Self.noOp(workspace).answeredByStamp)
        #expect(try await Self.noOp(workspace).answeredByStamp)
        #expect(try await !Self.noOp(workspace, RunRequest(dryRun: true)).answeredByStamp)
        #expect(try await Self.noOp(workspace).answeredByStamp, "a dry run leaves the stamp alone")
        #expect(try await !Self.noOp(workspace, RunRequest(force: true)).answeredByStamp)
        #expect(!FileManager.default.fileExists(atPath: Self.stampFile(workspace).path), "a forced run removes it")
        try await Task.sleep(for: .milliseconds(20))
        #expect(try await !Self.noOp(workspace).answeredByStamp)
        var environment = workspace.environment
        environment["LUNETTE_REMOTE"] = "s3://nowhere/at-all"
        environment["LUNETTE_REMOTE_ENDPOINT"] = "http://127.0.0.1:9"
        var request = RunRequest(dryRun: true)
        request.useStamp = true
        let remote = Workspace(root: workspace.root, registry: workspace.workspace().registry, environment: environment)
        #expect(!remote.stampApplies(to: RunRequest()))
        #expect(try await !remote.run(request).answeredByStamp)
    }

    @Test("a run that ran something, or was killed, leaves no stamp")
    func noStampAfterWork() async throws {
        let workspace = try await Self.stamped()
        #expect(UpToDateStamp.decoded(from: try Data(contentsOf: Self.stampFile(workspace))) != nil)
        try workspace.switchTo("v2")
        let summary = try await Self.noOp(workspace)
        #expect(try #require(summary.report).ran > 0)
        #expect(!FileManager.default.fileExists(atPath: Self.stampFile(workspace).path))
        // A run killed before its end leaves the pending marker, which answers nothing.
        try UpToDateStamp.pendingMarker.write(to: Self.stampFile(workspace))
        #expect(UpToDateStamp.decoded(from: UpToDateStamp.pendingMarker) == nil)
        #expect(try await !Self.noOp(workspace).answeredByStamp)
    }

    @Test("the lunette binary answers a no-op from the stamp once a no-op wrote it; --verbose always plans")
    func binary() async throws {
        let workspace = try KillAnywhereTests.makeWorkspace()
        let first = try await SpawnedLunette.run(["run"], in: workspace)
        #expect(first.status == 0, "\(first.output)\(first.error)")
        try await Task.sleep(for: .milliseconds(20))
        let stampNote = "nothing they read changed since the last run checked them"
        let second = try await SpawnedLunette.run(["run"], in: workspace)
        let count = try #require(second.output.firstMatch(of: /nothing to do: (\d+) stages up to date/)?.1)
        #expect(!second.output.contains(stampNote))
        let third = try await SpawnedLunette.run(["run"], in: workspace)
        #expect(third.status == 0)
        #expect(third.output.contains("nothing to do: \(count) stages up to date ("), "\(third.output)")
        #expect(third.output.contains(stampNote), "\(third.output)")
        let verbose = try await SpawnedLunette.run(["run", "--verbose"], in: workspace)
        #expect(verbose.output.contains("nothing to do: \(count) stages up to date"), "\(verbose.output)")
        #expect(!verbose.output.contains(stampNote))
    }

    @Test("a file that changed at or after the run began is not vouched for")
    func racyFiles() {
        func fact(_ path: String, changed: Int64) -> UpToDateStamp.Fact {
            UpToDateStamp.Fact(question: "status:\(path)", answer: "file 3 \(changed - 5) \(changed) 42 7")
        }
        let marker: Int64 = 1_800_000_000_000_000_000
        let manifest = UpToDateStamp.Fact(question: "digest:/w/workflows/a.yaml", answer: "ab")
        #expect(UpToDateStamp.settledBefore(marker, [manifest, fact("/w/a", changed: marker - 1)]))
        #expect(!UpToDateStamp.settledBefore(marker, [fact("/w/a", changed: marker - 1), fact("/w/b", changed: marker)]))
        #expect(!UpToDateStamp.settledBefore(marker, [fact("/w/b", changed: marker + 1_000)]))
        #expect(UpToDateStamp.settledBefore(marker, [UpToDateStamp.Fact(question: "status:/w/gone", answer: "none")]))
    }

    @Test("the file round-trips, and one cut short or of another format is ignored")
    func fileFormat() throws {
        let stamp = UpToDateStamp(
            key: "k", generation: 7, warnings: [Diagnostic(.warning, "old key")],
            stages: [UpToDateStamp.Stage(id: "p/r/load", key: "sha256:00"), UpToDateStamp.Stage(id: "p/r/split", key: "sha256:01")],
            facts: [
                UpToDateStamp.Fact(question: "listing:/w/workflows", answer: "a.yaml\nb.yaml"),
                UpToDateStamp.Fact(question: "status:/w/data/x.csv", answer: "file 3 1 2 3 4"),
            ])
        let data = try stamp.encoded()
        #expect(UpToDateStamp.decoded(from: data) == stamp)
        #expect(UpToDateStamp.decoded(from: data.dropLast()) == nil)
        #expect(UpToDateStamp.decoded(from: data + Data([0x41])) == nil)
        let text = String(decoding: data, as: UTF8.self)
        for (from, to) in [("\"format\":1", "\"format\":99"), ("\"facts\":2", "\"facts\":-2"), ("\"stages\":2", "\"stages\":-1"),
                           ("\"facts\":2", "\"facts\":9000000000000")] {
            #expect(UpToDateStamp.decoded(from: Data(text.replacingOccurrences(of: from, with: to).utf8)) == nil, "\(to)")
        }
    }
}
