import Basics
import ContentCache
import Foundation
import RunStore
import Testing
import WorkflowModel
import Workspace
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// What the workspace says about itself when things went wrong around it: a run whose process is
/// gone, a cache that can't be written, a disk that filled up, a workspace that was moved.
@Suite("Workspace state after crashes, moves and read-only disks", .serialized)
struct WorkspaceStateTests {
    /// The pid of a process that has exited (and been reaped).
    private func deadPid() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test("a run recorded as training whose lunette process is gone shows as interrupted, naming the pid; a live one does not")
    func interruptedRunStatus() throws {
        let workspace = try CaseWorkspace("diskfull", project: "diskfull")
        let engine = workspace.workspace([])
        let pid = try deadPid()
        do {
            let store = try RunStore(path: workspace.root.appendingPathComponent("cache/lunette.sqlite"))
            defer { try? store.close() }
            _ = try store.beginInvocation(command: "lunette run", pid: pid, at: Date())
            try store.setRunStatus(project: "diskfull", run: "first", status: .training, reason: nil, at: Date())
        }
        // What the killed run's flock left behind: its note in the lock file, nobody holding it.
        try workspace.write("pid \(pid): lunette run\n", to: "cache/lunette.lock")
        let view = try #require(try engine.statuses().first { $0.run == "first" })
        #expect(view.status == .training)
        #expect(view.isInterrupted)
        #expect(view.reason == "interrupted: lunette pid \(pid) is gone; rerun to resume")

        // The same records while this process holds the lock as that run: still training.
        let store = try RunStore(path: workspace.root.appendingPathComponent("cache/lunette.sqlite"))
        _ = try store.markInterrupted(at: Date())
        _ = try store.beginInvocation(command: "lunette run", pid: getpid(), at: Date())
        try store.close()
        let lock = FileLock(path: workspace.root.appendingPathComponent("cache/lunette.lock").path)
        #expect(try lock.tryLock(describing: "lunette run"))
        defer { lock.unlock() }
        let live = try #require(try engine.statuses().first { $0.run == "first" })
        #expect(live.status == .training)
        #expect(!live.isInterrupted)
        #expect(live.reason == nil)
    }

    @Test(
        "status, plan and check work on a workspace whose disk is read-only, and change nothing",
        .enabled(if: TmpfsMount.isPermitted, "mounting a tmpfs needs root with CAP_SYS_ADMIN"))
    func readOnlyCache() async throws {
        let source = try CaseWorkspace("diskfull", project: "diskfull")
        let disk = try TmpfsMount(kilobytes: 32 * 1024)
        let root = disk.url.appendingPathComponent("workspace")
        try FileManager.default.copyItem(at: source.root, to: root)
        var environment = source.environment
        environment["LUNETTE_MODELS"] = root.appendingPathComponent("models").path
        let engine = Workspace(root: root, registry: .builtin, environment: environment)
        let ran = try await engine.run(RunRequest(targets: ["diskfull/first/split"]))
        #expect(ran.report?.isSuccess == true)

        try disk.remount(kilobytes: 32 * 1024, readOnly: true)
        let before = WorkspaceInvariants.files(under: root.appendingPathComponent("cache"))
        let view = try #require(try engine.statuses().first { $0.run == "first" })
        #expect(view.status == .dataReady)
        let plan = try engine.plan(targets: ["diskfull/first/split"])
        #expect(plan.plan.stagesToRun.isEmpty)
        let check = try engine.check(targets: ["diskfull/first/split"])
        #expect(check.isUpToDate)
        #expect(WorkspaceInvariants.files(under: root.appendingPathComponent("cache")) == before)
    }

    @Test(
        "materialising onto a full workspace disk names that disk, not the cache's",
        .enabled(if: TmpfsMount.isPermitted, "mounting a tmpfs needs root with CAP_SYS_ADMIN"))
    func fullWorkspaceDiskIsNamed() throws {
        let temp = try TemporaryDirectory(prefix: "enospc")
        defer { temp.remove() }
        let cache = try ContentCache(root: temp("cache"))
        try temp.write(Data(repeating: 7, count: 256 * 1024), to: "model/head.safetensors")
        let ref = try cache.publish(directoryAt: temp("model"))
        let disk = try TmpfsMount(kilobytes: 64)
        let destination = disk.url.appendingPathComponent("registry/m@1")
        let error = #expect(throws: CacheError.self) { try cache.materialize(ref, at: destination) }
        #expect(error?.remedy.contains("the disk holding \(disk.url.path)/registry is full") == true, "\(String(describing: error))")
        #expect(error?.remedy.contains("cache") == false, "\(String(describing: error))")

        // Into a cache on a full disk: the hint to move the cache is given there.
        let fullCache = try ContentCache(root: disk.url.appendingPathComponent("cache"))
        let publishError = #expect(throws: CacheError.self) { try fullCache.publish(fileAt: temp("model/head.safetensors")) }
        #expect(publishError?.remedy.contains("LUNETTE_CACHE") == true, "\(String(describing: publishError))")
    }

    /// Review of issue 14: a copy kept its original's id, so after the original moved, `cache gc` in
    /// the copy took the original's record for its own and dropped its roots at once.
    @Test("a copy sharing a cache takes an id of its own at its first run; the original keeps its id")
    func copiedWorkspaceTakesItsOwnID() async throws {
        let original = try CaseWorkspace("diskfull", project: "diskfull")
        let shared = original.root.deletingLastPathComponent().appendingPathComponent("shared-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: shared) }
        var environment = original.environment
        environment["LUNETTE_CACHE"] = shared.path
        let first = try await Workspace(root: original.root, registry: .builtin, environment: environment)
            .run(RunRequest(targets: ["diskfull/first/split"]))
        #expect(first.report?.isSuccess == true)
        let idFile = "cache/workspace-id"
        let originalID = try original.read(idFile)

        let copy = original.root.deletingLastPathComponent().appendingPathComponent("copy-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: original.root, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        var copyEnvironment = environment
        copyEnvironment["LUNETTE_MODELS"] = copy.appendingPathComponent("models").path
        let copied = Workspace(root: copy, registry: .builtin, environment: copyEnvironment)
        #expect(try await copied.run(RunRequest(targets: ["diskfull/first/split"])).report?.isSuccess == true)
        let copyID = try String(contentsOf: copy.appendingPathComponent(idFile), encoding: .utf8)
        #expect(copyID != originalID)
        #expect(try original.read(idFile) == originalID)
        // Run again: the copy keeps its new id (no churn).
        #expect(try await copied.run(RunRequest(targets: ["diskfull/first/split"])).report?.isSuccess == true)
        #expect(try String(contentsOf: copy.appendingPathComponent(idFile), encoding: .utf8) == copyID)
    }

    @Test("a moved workspace's cache gc forgets its own old path instead of refusing for 14 days; another workspace that is gone still stops it")
    func movedWorkspace() async throws {
        let workspace = try CaseWorkspace("diskfull", project: "diskfull")
        let first = try await workspace.workspace([]).run(RunRequest(targets: ["diskfull/first/split"]))
        #expect(first.report?.isSuccess == true)
        let moved = workspace.root.deletingLastPathComponent().appendingPathComponent("moved-\(UUID().uuidString)")
        try FileManager.default.moveItem(at: workspace.root, to: moved)
        defer {
            try? FileManager.default.moveItem(at: moved, to: workspace.root)  // CaseWorkspace removes it
        }
        var environment = workspace.environment
        environment["LUNETTE_MODELS"] = moved.appendingPathComponent("models").path
        let engine = Workspace(root: moved, registry: .builtin, environment: environment)
        #expect(engine.workspacesSharingCache().map(\.root.path) == [workspace.root.resolvingSymlinksInPath().path])

        let report = try engine.collectGarbage(dryRun: false)
        #expect(report.sharedWith.isEmpty)
        #expect(engine.workspacesSharingCache().isEmpty)

        // A record an older Lunette wrote (no id) of a gone path, in this workspace's own cache: it moved with it.
        let records = moved.appendingPathComponent("cache/workspaces")
        try Data("/gone/legacy-\(UUID().uuidString)\n".utf8).write(to: records.appendingPathComponent(ContentHash.of("legacy").hex))
        _ = try engine.collectGarbage(dryRun: false)
        #expect(engine.workspacesSharingCache().isEmpty)

        // Another workspace (another id) that ran recently and is gone: gc still can't tell what it needs.
        let other = "/gone/other-\(UUID().uuidString)"
        try Data("\(other)\nid \(UUID().uuidString.lowercased())\n".utf8).write(to: records.appendingPathComponent(ContentHash.of(other).hex))
        let error = #expect(throws: WorkspaceError.self) { try engine.collectGarbage(dryRun: false) }
        #expect(error?.message.contains(other) == true)
    }
}
