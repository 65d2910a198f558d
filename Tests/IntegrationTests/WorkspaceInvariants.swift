import Basics
import ContentCache
import Foundation
import Planning
import RunStore
import Testing

/// What must hold in a workspace after any kill, failed write or race, checked against a reference
/// workspace that ran the same project without interruption.
///
/// Every check can fail: each returns a sentence naming what is wrong, so a test records all of
/// them at once. A workspace may be *behind* its reference (work not done yet) but never *beside*
/// it: whatever it has (objects, index entries, memo entries, a lock, registry rows) must be exactly
/// what the reference has.
struct WorkspaceInvariants {
    let workspace: CaseWorkspace
    /// The content cache's root (`cache/` or `$LUNETTE_CACHE`).
    let cacheRoot: URL
    let reference: CaseWorkspace
    let referenceCacheRoot: URL
    /// Extra environment for the `lunette` commands run here (`LUNETTE_CACHE`).
    var environment: [String: String] = [:]

    init(
        _ workspace: CaseWorkspace, cache: URL? = nil, reference: CaseWorkspace, referenceCache: URL? = nil,
        environment: [String: String] = [:]
    ) {
        self.workspace = workspace
        self.cacheRoot = cache ?? workspace.root.appendingPathComponent("cache")
        self.reference = reference
        self.referenceCacheRoot = referenceCache ?? reference.root.appendingPathComponent("cache")
        self.environment = environment
    }

    /// Every problem found; empty when the workspace is sound.
    /// - Parameter cli: also run `lunette cache verify` (the binary); otherwise the same check runs
    ///   in process through ``ContentCache/verifyAll()``.
    func problems(cli: Bool = true) async throws -> [String] {
        var problems: [String] = []
        problems += try await cacheProblems(cli: cli)
        problems += storeProblems()
        problems += lockProblems()
        return problems
    }

    // MARK: Cache

    func cacheProblems(cli: Bool) async throws -> [String] {
        var problems: [String] = []
        if cli {
            let verify = try await SpawnedLunette.run(["cache", "verify"], in: workspace, extra: environment)
            if verify.status != 0 || !verify.output.contains("ok: no corrupt objects") || verify.output.contains("dropped") {
                problems.append("`lunette cache verify` exited \(verify.status): \(verify.output)\(verify.error)")
            }
        } else if FileManager.default.fileExists(atPath: cacheRoot.appendingPathComponent("objects").path) {
            let report = try ContentCache(root: cacheRoot).verifyAll()
            if !report.isClean || !report.droppedRecords.isEmpty {
                problems.append("cache verify: corrupt \(report.corrupt), dropped \(report.droppedRecords)")
            }
        }
        // Objects are named by their bytes (verify checked that): any the reference lacks is a result
        // the uninterrupted run never produced.
        for name in Self.shardedFiles(cacheRoot.appendingPathComponent("objects")) {
            if !FileManager.default.fileExists(atPath: referenceCacheRoot.appendingPathComponent("objects/\(name)").path) {
                problems.append("object \(name) is not one the uninterrupted run produced")
            }
        }
        // Index entries must be the reference's; memo entries too, where the reference has the key
        // (some memo keys name a workspace path, such as the base model's stat-keyed digest).
        for folder in ["index", "memo"] {
            for name in Self.shardedFiles(cacheRoot.appendingPathComponent(folder)) where !Self.isTemporary(name) {
                let mine = FileManager.default.contents(atPath: cacheRoot.appendingPathComponent("\(folder)/\(name)").path)
                let theirs = FileManager.default.contents(
                    atPath: referenceCacheRoot.appendingPathComponent("\(folder)/\(name)").path)
                if mine != theirs && (folder == "index" || theirs != nil) {
                    problems.append("\(folder)/\(name) differs from the uninterrupted run's (\(mine?.count ?? -1) vs \(theirs?.count ?? -1) bytes)")
                }
            }
        }
        return problems
    }

    // MARK: Store and registry

    func storeProblems() -> [String] {
        let path = workspace.root.appendingPathComponent("cache/lunette.sqlite")
        guard FileManager.default.fileExists(atPath: path.path) else { return [] }
        do {
            let store = try RunStore(path: path)
            defer { try? store.close() }
            var problems: [String] = []
            let integrity = try store.integrityCheck()
            if integrity != ["ok"] { problems.append("store integrity_check: \(integrity)") }
            let referenceStore = try RunStore(path: reference.root.appendingPathComponent("cache/lunette.sqlite"))
            defer { try? referenceStore.close() }
            let expected = Set(try referenceStore.registeredMetrics().map(Self.registryRow))
            let cache = try ContentCache(root: cacheRoot)
            for metric in try store.registeredMetrics() {
                if !expected.contains(Self.registryRow(metric)) {
                    problems.append("registry row \(metric.reference) \(metric.modelDigest) is not the uninterrupted run's")
                }
                for digest in [metric.modelDigest, metric.reportDigest].compactMap({ $0 }) {
                    guard let hash = ContentHash(parsing: digest) else {
                        problems.append("registry row \(metric.reference) has a malformed digest \(digest)")
                        continue
                    }
                    let url = cache.objectURL(hash)
                    let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int64) ?? nil
                    guard let size, (try? cache.verify(ArtifactRef(digest: hash, size: size, kind: .directory))) == true else {
                        problems.append("registry row \(metric.reference) points at \(hash.short), which is missing or damaged")
                        continue
                    }
                }
            }
            return problems
        } catch {
            return ["the store cannot be read: \(error)"]
        }
    }

    static func registryRow(_ metric: RegisteredMetric) -> String {
        "\(metric.name)@\(metric.version) \(metric.modelDigest) \(metric.reportDigest ?? "-")"
    }

    // MARK: Lock

    /// A lock is written only after a complete run, atomically: when it exists it parses and is the
    /// reference's, byte for byte. Nothing but manifests, locks and atomic-write leftovers lies
    /// beside it.
    func lockProblems() -> [String] {
        let name = "workflows/\(workspace.project).lock"
        let url = workspace.root.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        var problems: [String] = []
        do {
            _ = try Lockfile.parse(String(decoding: data, as: UTF8.self), file: name)
        } catch {
            problems.append("\(name) does not parse: \(error)")
        }
        if data != FileManager.default.contents(atPath: reference.root.appendingPathComponent(name).path) {
            problems.append("\(name) differs from the uninterrupted run's")
        }
        return problems
    }

    // MARK: Files

    /// `ab/<name>` for every file in the two-character shard folders of `folder`, sorted.
    static func shardedFiles(_ folder: URL) -> [String] {
        let shards = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return shards.sorted().flatMap { shard -> [String] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(shard).path)) ?? []
            return names.sorted().map { "\(shard)/\($0)" }
        }
    }

    /// An atomic write's temporary file (`.tmp-<pid>-<random>`).
    static func isTemporary(_ name: String) -> Bool {
        (name as NSString).lastPathComponent.hasPrefix(".tmp-")
    }

    /// Every regular file under `folder`, relative to it, sorted.
    static func files(under folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var result: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                result.append(path)
            }
        }
        return result.sorted()
    }

    /// The differences between two folders' files (names and bytes), as sentences.
    static func differences(_ left: URL, _ right: URL) -> [String] {
        let leftFiles = files(under: left)
        let rightFiles = files(under: right)
        var problems: [String] = []
        if leftFiles != rightFiles {
            problems.append("\(left.lastPathComponent): files \(leftFiles) vs \(rightFiles)")
        }
        for file in Set(leftFiles).intersection(rightFiles).sorted() {
            if FileManager.default.contents(atPath: left.appendingPathComponent(file).path)
                != FileManager.default.contents(atPath: right.appendingPathComponent(file).path)
            {
                problems.append("\(file) differs")
            }
        }
        return problems
    }
}
