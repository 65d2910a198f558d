import Basics
import ContentCache
import Foundation
import Planning
import RunStore

extension Workspace {
    /// How long an invocation keeps what it used alive for `cache gc`.
    public static let gcRecentWindow: TimeInterval = 14 * 24 * 3600

    /// Removes cache entries and objects that no lock and no recent invocation reaches.
    ///
    /// Kept: every action in any project's lock, every action the store saw run or reused in the
    /// last 14 days, every registered metric's model and report, and every object those reach —
    /// of this workspace and of every other workspace recorded in the cache (one sharing it through
    /// `$LUNETTE_CACHE`). Everything else in the index, every unreachable object and stale temporary
    /// files are removed (only listed with `dryRun`). It waits for the workspace lock and for every
    /// invocation of any workspace sharing the cache to finish (`onWait` is told before each wait).
    public func collectGarbage(dryRun: Bool, onWait: (String) -> Void = { _ in }) throws -> GarbageReport {
        let (projects, _) = try loadProjects()
        let lock = try acquireLock(command: "lunette cache gc", wait: true, onWait: onWait)
        defer { lock.unlock() }
        let cacheLock = try acquireCacheLock(exclusive: true, command: "lunette cache gc (\(root.path))", onWait: onWait)
        defer { cacheLock?.unlock() }
        let store = try openStore()
        let cache = try openCache()
        let shared = try sharedCacheRoots(forget: !dryRun)
        var keep: Set<ContentHash> = shared.keys
        for lockfile in try readLocks(projects).values {
            for entry in lockfile.stages.values { keep.insert(entry.key) }
        }
        for text in try store.actionKeysUsed(since: now().addingTimeInterval(-Workspace.gcRecentWindow)) {
            if let key = ContentHash(parsing: text) { keep.insert(key) }
        }
        var registered: Set<ContentHash> = shared.objects
        for metric in try store.registeredMetrics() {
            for digest in [metric.modelDigest, metric.reportDigest].compactMap({ $0 }) {
                if let hash = ContentHash(parsing: digest) { registered.insert(hash) }
            }
        }
        var report = try cache.collectGarbage(keepingRecords: keep, keepingObjects: registered, dryRun: dryRun)
        report.sharedWith = shared.workspaces.map(\.path)
        return report
    }

    /// Re-hashes every cached object, moves corrupt ones to quarantine and drops index entries that
    /// point at them, so the stages that made them run again.
    public func verifyCache() throws -> VerifyReport {
        let lock = try acquireLock(command: "lunette cache verify", wait: true, onWait: { _ in })
        defer { lock.unlock() }
        let cacheLock = try acquireCacheLock(exclusive: false, command: "lunette cache verify", onWait: { _ in })
        defer { cacheLock?.unlock() }
        return try openCache().verifyAll()
    }
}
