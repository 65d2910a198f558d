import Basics
import ContentCache
import Foundation
import RunStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Writes that fail — past the file size limit, on a full disk, on a read-only cache — leave no
/// partial object behind, say clearly what failed and what to do, and once the condition clears a
/// rerun gives the same results as a run that never failed.
///
/// The `diskfull` case's `big` stage writes 3 MB into the workspace, then Lunette copies it into
/// the cache, where the write fails: through `ulimit -f` (EFBIG, works anywhere) or on a small
/// tmpfs (ENOSPC, then EROFS after a read-only remount; needs root, skipped otherwise).
@Suite("Failed writes", .serialized)
struct DiskFullTests {
    static let target = "diskfull/first/summary"

    /// A workspace that ran the target with nothing in the way.
    static func reference() async throws -> CaseWorkspace {
        let reference = try CaseWorkspace("diskfull", project: "diskfull")
        let result = try await SpawnedLunette.run(["run", target], in: reference)
        try #require(result.status == 0, "\(result.output)\(result.error)")
        return reference
    }

    static func logs(_ workspace: CaseWorkspace) -> URL { workspace.root.appendingPathComponent("test-logs") }

    /// Files in the cache's `tmp/` (a failed publish must remove its temporary file).
    static func temporaryFiles(in cache: URL) -> [String] {
        WorkspaceInvariants.files(under: cache.appendingPathComponent("tmp"))
    }

    /// Everything in a folder as relative path → bytes.
    static func snapshot(_ folder: URL) -> [String: Data] {
        var files: [String: Data] = [:]
        for path in WorkspaceInvariants.files(under: folder) {
            files[path] = FileManager.default.contents(atPath: folder.appendingPathComponent(path).path)
        }
        return files
    }

    @Test("a write past the file size limit (EFBIG) fails the stage clearly and leaves no partial object")
    func fileSizeLimit() async throws {
        let reference = try await Self.reference()
        let workspace = try CaseWorkspace("diskfull", project: "diskfull")
        // SIGXFSZ ignored, so write(2) fails with EFBIG instead of killing the process; 512 KiB soft limit.
        let limited = try SpawnedLunette(
            ["run", Self.target], in: workspace.root, environment: workspace.environment,
            logs: Self.logs(workspace), label: "limited", shellPrefix: "trap '' XFSZ; ulimit -S -f 1024")
        #expect(await limited.wait(timeout: 120))
        #expect(limited.exitCode == 1, "\(limited.output)\(limited.error)")
        let output = limited.output
        #expect(output.contains("FAIL  diskfull/first/big"), "\(output)")
        #expect(output.contains("cannot copy '\(workspace.root.path)/out/big.txt' into the cache"), "\(output)")
        #expect(output.contains("File too large"), "\(output)")
        #expect(output.contains("raise the file size limit (`ulimit -f`)"), "\(output)")
        #expect(output.contains("skip  diskfull/first/summary"), "\(output)")

        let cache = workspace.root.appendingPathComponent("cache")
        #expect(Self.temporaryFiles(in: cache).isEmpty)
        let problems = try await WorkspaceInvariants(workspace, reference: reference).problems()
        #expect(problems.isEmpty, "\(problems)")
        #expect(!FileManager.default.fileExists(atPath: workspace.root.appendingPathComponent("workflows/diskfull.lock").path))

        // The limit lifted, a rerun finishes with the reference's results.
        let rerun = try await SpawnedLunette.run(["run", Self.target], in: workspace)
        #expect(rerun.status == 0, "\(rerun.output)\(rerun.error)")
        #expect(rerun.output.contains("ok    diskfull/first/big"))
        #expect(try workspace.read("workflows/diskfull.lock") == reference.read("workflows/diskfull.lock"))
        #expect(try workspace.read("out/summary.txt") == reference.read("out/summary.txt"))
        #expect(try await WorkspaceInvariants(workspace, reference: reference).problems().isEmpty)
    }

    @Test(
        "a full disk (ENOSPC) and a read-only cache (EROFS) fail clearly, change nothing, and a rerun recovers",
        .enabled(if: TmpfsMount.isPermitted, "mounting a tmpfs needs root with CAP_SYS_ADMIN"))
    func fullAndReadOnlyDisk() async throws {
        let reference = try await Self.reference()
        let disk = try TmpfsMount(kilobytes: 1024)  // the small outputs fit, the 3 MB one does not
        let cache = disk.url.appendingPathComponent("cache")
        let shared = ["LUNETTE_CACHE": cache.path]
        let workspace = try CaseWorkspace("diskfull", project: "diskfull")
        let invariants = WorkspaceInvariants(workspace, cache: cache, reference: reference, environment: shared)

        let full = try await SpawnedLunette.run(["run", Self.target], in: workspace, extra: shared)
        #expect(full.status == 1, "\(full.output)\(full.error)")
        #expect(full.output.contains("FAIL  diskfull/first/big"), "\(full.output)")
        #expect(full.output.contains("No space left on device"), "\(full.output)")
        #expect(full.output.contains("free space"), "\(full.output)")
        #expect(full.output.contains(cache.path + "/tmp/"), "\(full.output)")
        #expect(Self.temporaryFiles(in: cache).isEmpty)
        #expect(try await invariants.problems().isEmpty)
        let objects = WorkspaceInvariants.shardedFiles(cache.appendingPathComponent("objects"))
        #expect(!objects.isEmpty)  // the small outputs made it
        #expect(!FileManager.default.fileExists(atPath: workspace.root.appendingPathComponent("workflows/diskfull.lock").path))

        // Space freed: the rerun runs what failed and reuses the rest.
        try disk.remount(kilobytes: 16 * 1024)
        let rerun = try await SpawnedLunette.run(["run", Self.target], in: workspace, extra: shared)
        #expect(rerun.status == 0, "\(rerun.output)\(rerun.error)")
        #expect(rerun.output.contains("ok    diskfull/first/big"))
        #expect(!rerun.output.contains("ok    diskfull/first/split"))
        #expect(try workspace.read("workflows/diskfull.lock") == reference.read("workflows/diskfull.lock"))
        #expect(try workspace.read("out/summary.txt") == reference.read("out/summary.txt"))

        // Read-only: what is up to date still works; a stage that must publish fails and changes nothing.
        try disk.remount(kilobytes: 16 * 1024, readOnly: true)
        let before = Self.snapshot(cache)
        let lock = try workspace.read("workflows/diskfull.lock")
        let upToDate = try await SpawnedLunette.run(["run", Self.target], in: workspace, extra: shared)
        #expect(upToDate.status == 0, "\(upToDate.output)\(upToDate.error)")
        #expect(upToDate.output.contains("nothing to do"))
        let forced = try await SpawnedLunette.run(["run", "--force", "diskfull/first/big"], in: workspace, extra: shared)
        #expect(forced.status == 1, "\(forced.output)\(forced.error)")
        #expect(forced.output.contains("Read-only file system"), "\(forced.output)")
        #expect(forced.output.contains("writable"), "\(forced.output)")
        #expect(Self.snapshot(cache) == before)
        #expect(try workspace.read("workflows/diskfull.lock") == lock)
        #expect(try await invariants.problems().isEmpty)

        try disk.remount(kilobytes: 16 * 1024)
        let again = try await SpawnedLunette.run(["run", "--force", "diskfull/first/big"], in: workspace, extra: shared)
        #expect(again.status == 0, "\(again.output)\(again.error)")
        #expect(try workspace.read("workflows/diskfull.lock") == reference.read("workflows/diskfull.lock"))
        #expect(try await invariants.problems().isEmpty)
    }

    @Test(
        "a workspace whose disk is full (the store cannot grow) stops with a clear error and recovers once freed",
        .enabled(if: TmpfsMount.isPermitted, "mounting a tmpfs needs root with CAP_SYS_ADMIN"))
    func fullWorkspaceDisk() async throws {
        let source = try CaseWorkspace("diskfull", project: "diskfull")
        let disk = try TmpfsMount(kilobytes: 160)  // the manifest and data fit; the store's journal does not
        let root = disk.url.appendingPathComponent("workspace")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for folder in ["workflows", "data"] {
            try FileManager.default.copyItem(at: source.root.appendingPathComponent(folder), to: root.appendingPathComponent(folder))
        }
        let logs = source.root.appendingPathComponent("test-logs")
        let full = try SpawnedLunette(
            ["run", "diskfull/first/split"], in: root, environment: source.environment, logs: logs, label: "full")
        #expect(await full.wait(timeout: 120))
        #expect(full.exitCode == 1, "\(full.output)\(full.error)")
        let said = full.output + full.error
        #expect(said.contains("disk is full") || said.contains("No space left on device"), "\(said)")
        #expect(said.contains(root.path), "the error names the file: \(said)")
        #expect(said.contains("free space"), "\(said)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("workflows/diskfull.lock").path))

        try disk.remount(kilobytes: 16 * 1024)
        let freed = try SpawnedLunette(
            ["run", "diskfull/first/split"], in: root, environment: source.environment, logs: logs, label: "freed")
        #expect(await freed.wait(timeout: 120))
        #expect(freed.exitCode == 0, "\(freed.output)\(freed.error)")
        #expect(freed.output.contains("updated workflows/diskfull.lock"))
        let store = try RunStore(path: root.appendingPathComponent("cache/lunette.sqlite"))
        defer { try? store.close() }
        #expect(try store.integrityCheck() == ["ok"])
        #expect(try store.recentInvocations(limit: 10).map(\.outcome).first == "succeeded")
        #expect(try ContentCache(root: root.appendingPathComponent("cache")).verifyAll().isClean)
    }
}
