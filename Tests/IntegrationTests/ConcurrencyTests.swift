import Basics
import ContentCache
import Foundation
import RunStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Several `lunette` processes at once: on one workspace, on two workspaces sharing one
/// `$LUNETTE_CACHE`, and `cache gc` beside runs. They serialise where they must, never deadlock
/// (every wait is bounded and a hang fails the test), and leave the results of a lone run.
@Suite("Concurrent invocations", .serialized)
struct ConcurrencyTests {
    /// How long any one process may take before the test calls it a deadlock.
    static let hang: Double = 300

    static func makeWorkspace() throws -> CaseWorkspace { try KillAnywhereTests.makeWorkspace() }

    /// One uninterrupted run of the `killable` case that every test here compares with (made once;
    /// its folder is removed when the test process exits).
    static func reference() throws -> CaseWorkspace {
        switch sharedReference {
        case .success(let workspace): return workspace
        case .failure(let error): throw error
        }
    }

    private static let sharedReference: Result<CaseWorkspace, any Error> = Result {
        let reference = try makeWorkspace()
        let result = try ProcessTests.run(["run"], in: reference)
        guard result.status == 0 else { throw ReferenceRunFailed(description: result.output + result.error) }
        referencePath = reference.root.path
        atexit { if let path = ConcurrencyTests.referencePath { try? FileManager.default.removeItem(atPath: path) } }
        return reference
    }

    nonisolated(unsafe) private static var referencePath: String?

    struct ReferenceRunFailed: Error, CustomStringConvertible {
        var description: String
    }

    static func logs(_ workspace: CaseWorkspace) -> URL { workspace.root.appendingPathComponent("test-logs") }

    /// Waits for every process, killing and failing on a hang.
    static func finish(_ processes: [SpawnedLunette], _ what: String) async {
        for process in processes where await !process.wait(timeout: hang) {
            Issue.record("\(what): `lunette \(process.arguments.joined(separator: " "))` still running after \(Int(hang)) s (deadlock?)")
            await process.killAndReap()
        }
    }

    /// Succeeded stage executions per stage id, over every invocation in the store.
    static func successfulExecutions(_ workspace: CaseWorkspace) throws -> [String: Int] {
        let store = try RunStore(path: workspace.root.appendingPathComponent("cache/lunette.sqlite"))
        defer { try? store.close() }
        var counts: [String: Int] = [:]
        for invocation in try store.recentInvocations(limit: 1000) {
            for execution in try store.executions(invocation: invocation.id) where execution.outcome == "succeeded" {
                counts[execution.stageID, default: 0] += 1
            }
        }
        return counts
    }

    @Test("four runs and a --no-wait run at once on one workspace: one does the work, the rest wait or exit 3")
    func runsOnOneWorkspace() async throws {
        let reference = try Self.reference()
        let workspace = try Self.makeWorkspace()
        let logs = Self.logs(workspace)
        var runs: [SpawnedLunette] = []
        for index in 0..<4 {
            runs.append(
                try SpawnedLunette(["run"], in: workspace.root, environment: workspace.environment, logs: logs, label: "run-\(index)"))
        }
        let impatient = try SpawnedLunette(
            ["run", "--no-wait"], in: workspace.root, environment: workspace.environment, logs: logs, label: "no-wait")
        await Self.finish(runs + [impatient], "four runs on one workspace")

        for run in runs { #expect(run.exitCode == 0, "\(run.output)\(run.error)") }
        #expect(impatient.exitCode == 3 || impatient.exitCode == 0, "\(impatient.output)\(impatient.error)")
        if impatient.exitCode == 3 { #expect(impatient.error.contains("the workspace is busy: pid ")) }
        // Exactly one invocation did the work; every other one that ran found it done.
        let finished = (runs + [impatient]).filter { $0.exitCode == 0 }
        #expect(finished.filter { $0.output.contains("registered polite@1") }.count == 1, "\(finished.map(\.output))")
        #expect(finished.filter { $0.output.contains("nothing to do") }.count == finished.count - 1)
        #expect(runs.contains { $0.error.contains("waiting for another invocation to finish (pid ") })

        let problems = try await WorkspaceInvariants(workspace, reference: reference).problems()
        #expect(problems.isEmpty, "\(problems)")
        #expect(try workspace.read("workflows/killable.lock") == reference.read("workflows/killable.lock"))
        // Every stage ran exactly once, and the metric was registered once.
        let executions = try Self.successfulExecutions(workspace)
        #expect(executions == (try Self.successfulExecutions(reference)), "\(executions)")
        #expect(try KillAnywhereTests.registryRows(workspace) == KillAnywhereTests.registryRows(reference))
    }

    @Test("two workspaces sharing one LUNETTE_CACHE run the same project at once and get identical results")
    func twoWorkspacesOneCache() async throws {
        let reference = try Self.reference()
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-shared-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let shared = ["LUNETTE_CACHE": cache.path]
        let first = try Self.makeWorkspace()
        let second = try Self.makeWorkspace()
        let runs = try [first, second].enumerated().map { index, workspace in
            try SpawnedLunette(
                ["run"], in: workspace.root, environment: workspace.environment.merging(shared) { _, new in new },
                logs: Self.logs(workspace), label: "shared-\(index)")
        }
        await Self.finish(runs, "two workspaces sharing a cache")
        for run in runs { #expect(run.exitCode == 0, "\(run.output)\(run.error)") }

        for workspace in [first, second] {
            let problems = try await WorkspaceInvariants(workspace, cache: cache, reference: reference, environment: shared).problems()
            #expect(problems.isEmpty, "\(problems)")
            #expect(try workspace.read("workflows/killable.lock") == reference.read("workflows/killable.lock"))
            let outputs = WorkspaceInvariants.differences(
                reference.root.appendingPathComponent("out"), workspace.root.appendingPathComponent("out"))
            #expect(outputs.isEmpty, "\(outputs)")
            let rows = try WorkspaceInvariants.registryRows(of: workspace, cache: cache)
            let expected = try KillAnywhereTests.registryRows(reference)
            #expect(rows == expected, "\(rows) vs \(expected)")
        }
    }

    @Test("a workspace that finds every result in a shared cache still registers the metric in its own registry")
    func sharedCacheRegistersInEachWorkspace() async throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-shared-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let shared = ["LUNETTE_CACHE": cache.path]
        let first = try Self.makeWorkspace()
        let built = try await SpawnedLunette.run(["run"], in: first, extra: shared)
        try #require(built.status == 0, "\(built.output)\(built.error)")

        let second = try Self.makeWorkspace()
        let late = try await SpawnedLunette.run(["run"], in: second, extra: shared)
        #expect(late.status == 0, "\(late.output)\(late.error)")
        #expect(late.output.contains("ok    killable/polite/register"), "\(late.output)")
        #expect(late.output.contains("summary: 1 ran, 8 reused"), "\(late.output)")
        let rows = try WorkspaceInvariants.registryRows(of: second, cache: cache)
        #expect(rows == (try WorkspaceInvariants.registryRows(of: first, cache: cache)))
        #expect(try second.read("workflows/killable.lock") == first.read("workflows/killable.lock"))
        let score = try await SpawnedLunette.run(["registry", "show", "polite@1"], in: second, extra: shared)
        #expect(score.status == 0, "\(score.output)\(score.error)")
        // And the next run there, and in the first workspace, runs nothing.
        #expect(try await SpawnedLunette.run(["run"], in: second, extra: shared).output.contains("nothing to do"))
        #expect(try await SpawnedLunette.run(["run"], in: first, extra: shared).output.contains("nothing to do"))
    }

    @Test("cache gc started during a run waits for it, and removes nothing the run made")
    func gcDuringRun() async throws {
        let reference = try Self.reference()
        let workspace = try Self.makeWorkspace()
        let logs = Self.logs(workspace)
        let run = try SpawnedLunette(["run"], in: workspace.root, environment: workspace.environment, logs: logs, label: "run")
        try await ProcessTests.waitFor(workspace.root.appendingPathComponent("out/tally.txt"), timeout: Self.hang)
        let gc = try SpawnedLunette(["cache", "gc"], in: workspace.root, environment: workspace.environment, logs: logs, label: "gc")
        await Self.finish([run, gc], "gc during a run")
        #expect(run.exitCode == 0, "\(run.output)\(run.error)")
        #expect(gc.exitCode == 0, "\(gc.output)\(gc.error)")
        #expect(try await WorkspaceInvariants(workspace, reference: reference).problems().isEmpty)
        let again = try await SpawnedLunette.run(["run"], in: workspace)
        #expect(again.output.contains("nothing to do"), "\(again.output)")
    }

    @Test("cache gc in one workspace keeps what another workspace sharing the cache has locked and registered")
    func gcKeepsOtherWorkspaces() async throws {
        let reference = try Self.reference()
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-shared-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let shared = ["LUNETTE_CACHE": cache.path]
        let owner = try Self.makeWorkspace()
        let built = try await SpawnedLunette.run(["run"], in: owner, extra: shared)
        try #require(built.status == 0, "\(built.output)\(built.error)")

        // A workspace with nothing of its own collects garbage in the shared cache.
        let other = try CaseWorkspace("slow", project: "slow")
        let gc = try await SpawnedLunette.run(["cache", "gc"], in: other, extra: shared)
        #expect(gc.status == 0, "\(gc.output)\(gc.error)")
        #expect(gc.output.contains(owner.root.path), "gc names the workspaces whose needs it kept: \(gc.output)")

        let problems = try await WorkspaceInvariants(owner, cache: cache, reference: reference, environment: shared).problems()
        #expect(problems.isEmpty, "\(problems)")
        let again = try await SpawnedLunette.run(["run"], in: owner, extra: shared)
        #expect(again.output.contains("nothing to do"), "the owner's work was lost: \(again.output)")
        let export = owner.root.appendingPathComponent("exported")
        let exported = try await SpawnedLunette.run(["registry", "export", "polite@1", "--to", export.path], in: owner, extra: shared)
        #expect(exported.status == 0, "\(exported.output)\(exported.error)")
    }

    @Test("cache gc in one workspace waits for a run in another workspace sharing the cache, and keeps its work")
    func gcWaitsForOtherWorkspace() async throws {
        let reference = try Self.reference()
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-shared-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let shared = ["LUNETTE_CACHE": cache.path]
        let owner = try Self.makeWorkspace()
        let other = try CaseWorkspace("slow", project: "slow")
        let environment = owner.environment.merging(shared) { _, new in new }
        let run = try SpawnedLunette(["run"], in: owner.root, environment: environment, logs: Self.logs(owner), label: "run")
        // The generator has published its rows, which no index entry names yet while `chunks` runs.
        try await ProcessTests.waitFor(owner.root.appendingPathComponent("out/tally.txt"), timeout: Self.hang)
        let gc = try SpawnedLunette(
            ["cache", "gc"], in: other.root, environment: other.environment.merging(shared) { _, new in new },
            logs: Self.logs(owner), label: "gc")
        await Self.finish([run, gc], "gc beside another workspace's run")
        #expect(run.exitCode == 0, "\(run.output)\(run.error)")
        #expect(gc.exitCode == 0, "\(gc.output)\(gc.error)")
        #expect(gc.error.contains("waiting for"), "\(gc.error)")
        let problems = try await WorkspaceInvariants(owner, cache: cache, reference: reference, environment: shared).problems()
        #expect(problems.isEmpty, "\(problems)")
        let again = try await SpawnedLunette.run(["run"], in: owner, extra: shared)
        #expect(again.output.contains("nothing to do"), "the owner's work was lost: \(again.output)")
    }
}

extension WorkspaceInvariants {
    /// The registry rows of a workspace whose cache lives elsewhere.
    static func registryRows(of workspace: CaseWorkspace, cache: URL) throws -> [String] {
        let store = try RunStore(path: workspace.root.appendingPathComponent("cache/lunette.sqlite"))
        defer { try? store.close() }
        return try store.registeredMetrics().map(registryRow)
    }
}
