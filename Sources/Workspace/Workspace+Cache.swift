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
        // The store's versions and the registry file's (which may name more after a `git pull`).
        for metric in try store.registeredMetrics() + ((try? registryFile())??.metrics ?? []) {
            for digest in [metric.modelDigest, metric.reportDigest].compactMap({ $0 }) {
                if let hash = ContentHash(parsing: digest) { registered.insert(hash) }
            }
        }
        var report = try cache.collectGarbage(keepingRecords: keep, keepingObjects: registered, dryRun: dryRun)
        report.sharedWith = shared.workspaces.map(\.path)
        return report
    }

    /// Re-hashes every cached object, moves corrupt ones to quarantine and drops index entries that
    /// point at them, so the stages that made them run again; then re-hashes every registered
    /// model's folder under `cache/registry/`, materialising a damaged one again from the cache and
    /// removing those of metrics no longer registered.
    public func verifyCache() throws -> VerifyReport {
        let lock = try acquireLock(command: "lunette cache verify", wait: true, onWait: { _ in })
        defer { lock.unlock() }
        let cacheLock = try acquireCacheLock(exclusive: false, command: "lunette cache verify", onWait: { _ in })
        defer { cacheLock?.unlock() }
        let cache = try openCache()
        var report = try cache.verifyAll()
        let registryFolder = stateDirectory.appendingPathComponent("registry")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: registryFolder.path)) ?? []).filter {
            !$0.hasPrefix(".")
        }
        guard !names.isEmpty else { return report }
        let metrics = Dictionary(
            try registeredMetrics().map { ("\($0.name)@\($0.version)", $0) }, uniquingKeysWith: { a, _ in a })
        for name in names.sorted() {
            let folder = registryFolder.appendingPathComponent(name)
            guard let metric = metrics[name], let digest = ContentHash(parsing: metric.modelDigest) else {
                try? FileManager.default.removeItem(at: folder)
                report.removedFolders.append(folder.path)
                continue
            }
            report.foldersChecked += 1
            guard let problem = cache.checkMaterialized(digest, at: folder, deep: true) else { continue }
            do {
                try materialize(
                    digest: metric.modelDigest, kind: .directory, to: folder, what: "the model of \(metric.reference)",
                    stamped: true)
                // No stamp: made by a Lunette from before stamps (or cut short); put back and stamped, not damage.
                if problem != .missing { report.damagedFolders.append(.init(path: folder.path, problem: problem.description)) }
            } catch {
                try? FileManager.default.removeItem(at: folder)
                report.damagedFolders.append(
                    .init(
                        path: folder.path, problem: problem.description,
                        unrepaired: "\(error); the folder was removed: rebuild and register the model again with "
                            + "`lunette run --force \(metric.project)/\(metric.run)`"))
            }
        }
        return report
    }
}
