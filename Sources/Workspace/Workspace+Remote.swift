import Basics
import ContentCache
import Execution
import Foundation
import ManifestLoading
import Planning
import RemoteCache
import RunStore
import WorkflowModel

extension Workspace {
    /// The remote cache this workspace uses: `LUNETTE_REMOTE` (with `LUNETTE_REMOTE_ENDPOINT`,
    /// `LUNETTE_REMOTE_REGION`) when set, else `lunette.local.yaml`'s, else `lunette.yaml`'s `remote:`;
    /// `nil` when none is declared. `LUNETTE_REMOTE=off` turns it off for one command.
    /// - Throws: ``WorkspaceError`` `invalidManifests` for a settings file with errors, or for a remote URL it cannot use.
    public func remoteLocation() throws -> RemoteLocation? {
        guard let settings = try remoteSettings() else { return nil }
        return try remoteLocation(settings)
    }

    func remoteLocation(_ settings: RemoteSettings) throws -> RemoteLocation {
        do {
            return try RemoteLocation.parse(
                settings.url, endpoint: settings.endpoint, region: settings.region, pathStyle: settings.pathStyle, root: root)
        } catch let error as RemoteError {
            throw WorkspaceError(.failed, error.message, remedy: error.remedy)
        }
    }

    /// The declared remote as written: `LUNETTE_REMOTE` (with `LUNETTE_REMOTE_ENDPOINT`,
    /// `LUNETTE_REMOTE_REGION`; the files are then not read) when set, else `lunette.local.yaml`'s,
    /// else `lunette.yaml`'s `remote:`, with its transfer settings (`timeout`, `retries`…; the
    /// `LUNETTE_REMOTE_*` variables override them when the remote opens).
    /// - Throws: ``WorkspaceError`` `invalidManifests` for a settings file with errors.
    func remoteSettings() throws -> RemoteSettings? {
        if let url = environment["LUNETTE_REMOTE"], !url.isEmpty {
            if url == "off" { return nil }
            return RemoteSettings(url: url, endpoint: environment["LUNETTE_REMOTE_ENDPOINT"], region: environment["LUNETTE_REMOTE_REGION"])
        }
        let (found, diagnostics) = WorkspaceSettingsReader.remote(root: root)
        if diagnostics.hasErrors {
            throw WorkspaceError(.invalidManifests, "invalid workspace settings", diagnostics: diagnostics)
        }
        return found
    }

    /// The remote's transfer settings: the settings file's `remote:` values, overridden by the
    /// `LUNETTE_REMOTE_*` variables (see ``RemoteCache/RemoteTransferSettings``).
    /// - Throws: ``WorkspaceError`` for a settings file with errors or a variable out of range.
    public func remoteTransferSettings() throws -> RemoteTransferSettings {
        try remoteTransferSettings(try remoteSettings())
    }

    func remoteTransferSettings(_ settings: RemoteSettings?) throws -> RemoteTransferSettings {
        do {
            return try RemoteTransferSettings.from(environment: environment, configured: settings?.transfer ?? [:])
        } catch let error as RemoteError {
            throw WorkspaceError(.failed, error.message, remedy: error.remedy)
        }
    }

    /// Uploads what the locks of `targets` (every project when empty) reference and the remote
    /// lacks: each stage's output objects (a folder's tree object and its files), the memo entries
    /// it used (see ``ContentCache/MemoManifest``), then its action record, only once all of those
    /// are there; and every registered model and report.
    ///
    /// A stage whose record is on the remote already is settled by that one check: a record goes
    /// last, so everything it names is there (a no-op push costs one request per stage).
    /// - Parameter dryRun: list what would be uploaded, upload nothing.
    public func push(targets: [String] = [], dryRun: Bool = false, progress: ProgressSink = .silent) async throws -> RemoteTransfer {
        try await withRemote { remote, location in
            try await self.push(to: remote, location: location, targets: targets, dryRun: dryRun, progress: progress)
        }
    }

    func push(
        to remote: any RemoteStore, location: RemoteLocation, targets: [String], dryRun: Bool, progress: ProgressSink
    ) async throws -> RemoteTransfer {
        try await push(to: remote, location: location, items: try referencedItems(targets: targets), dryRun: dryRun, progress: progress)
    }

    /// Uploads `items` as ``push(targets:dryRun:progress:)`` does (also one finished stage, for a
    /// run's write-through).
    func push(
        to remote: any RemoteStore, location: RemoteLocation, items: [RemoteItem], dryRun: Bool, progress: ProgressSink
    ) async throws -> RemoteTransfer {
        let cache = try openCache()
        let started = Date()
        var transfer = RemoteTransfer(remote: location.description)
        var handled: Set<String> = []  // keys this push already uploaded or found (stages share objects)
        let jobs = remoteJobs()
        let index = RemoteKeyIndex(remote)
        // Every stage's record on the remote, `jobs` asked at once (a no-op push is one read per stage).
        let found = try await Self.bounded(Array(Set(items.compactMap(\.actionKey))), limit: jobs) { key in
            (key, try await self.remoteRecord(key, in: remote))
        }
        var remoteRecords: [ContentHash: ActionRecord] = [:]
        for case (let key, let record?) in found { remoteRecords[key] = record }
        for item in items {
            try Task.checkCancellation()
            var objects: [(ContentHash, Int64?)] = []
            for output in item.outputs {
                if output.isDirectory {
                    guard let entries = cache.treeEntries(of: output.digest) else {
                        transfer.missingLocally.append("\(item.name): \(output.digest.short)")
                        objects = []
                        break
                    }
                    objects += entries.map { ($0.digest, $0.size) }
                }
                objects.append((output.digest, output.size))
            }
            if objects.isEmpty && !item.outputs.isEmpty { continue }
            let record = item.actionKey.flatMap { cache.recordData(for: $0) }.flatMap { try? JSONDecoder().decode(ActionRecord.self, from: $0) }
            // A record on the remote that names these very outputs went last: its objects are all there.
            let remoteRecord = item.actionKey.flatMap { remoteRecords[$0] }
            if let remoteRecord, remoteRecord.outputDigests == item.outputDigests {
                transfer.alreadyThere += objects.filter { handled.insert(Self.objectKey($0.0)).inserted }.count + 1
                if let memo = record?.memo, handled.insert(Self.memoKey(memo)).inserted {
                    try await pushMemo(memo, to: remote, index: index, dryRun: dryRun, jobs: jobs, into: &transfer, progress: progress)
                }
                continue
            }
            var complete = true
            let todo = objects.filter { handled.insert(Self.objectKey($0.0)).inserted }.map { digest, size in
                (digest: digest, size: size, file: cache.objectURL(digest))
            }
            progress.planned(todo.count, bytes: todo.reduce(0) { $0 + ($1.size ?? 0) })
            let results = try await Self.bounded(todo, limit: jobs) { object -> ObjectPush in
                let key = Self.objectKey(object.digest)
                if try await index.exists(key) {
                    progress.skipped(key)
                    return .alreadyThere
                }
                guard FileManager.default.fileExists(atPath: object.file.path) else {
                    progress.skipped(key)
                    return .missingLocally(object.digest.short)
                }
                if !dryRun {
                    try await remote.upload(object.file, as: key, sha256: object.digest.hex)
                }
                progress.done(key, bytes: object.size ?? 0)
                return .uploaded(key, object.size ?? 0)
            }
            for result in results {
                switch result {
                case .alreadyThere: transfer.alreadyThere += 1
                case .missingLocally(let short):
                    transfer.missingLocally.append("\(item.name): \(short)")
                    complete = false
                case .uploaded(let key, let bytes):
                    transfer.uploaded.append(key)
                    transfer.bytes += bytes
                }
            }
            // The memo entries, then the record last, only when every object it points at is on the remote.
            guard complete, let key = item.actionKey else { continue }
            if let memo = record?.memo, handled.insert(Self.memoKey(memo)).inserted {
                try await pushMemo(memo, to: remote, index: index, dryRun: dryRun, jobs: jobs, into: &transfer, progress: progress)
            }
            let recordKey = Self.recordKey(key)
            if remoteRecord != nil {
                // Another clone recorded other outputs for this action key (a stage whose bytes are not
                // the same everywhere): its record stays; this lock's objects are there now, and a pull
                // takes the lock's outputs.
                transfer.alreadyThere += 1
                progress.notice("note: \(recordKey) on the remote names other outputs for \(item.name)'s action (made elsewhere); its objects were pushed, the record left as it is")
                continue
            }
            guard let data = cache.recordData(for: key) else {
                transfer.missingLocally.append("\(item.name): record \(key.short)")
                continue
            }
            transfer.uploaded.append(recordKey)
            transfer.bytes += Int64(data.count)
            progress.planned(1, bytes: Int64(data.count))
            if !dryRun {
                let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-record-\(UUID().uuidString)")
                try data.write(to: temporary)
                defer { try? FileManager.default.removeItem(at: temporary) }
                try await remote.upload(temporary, as: recordKey, sha256: nil)
            }
            progress.done(recordKey, bytes: Int64(data.count))
            // A later stage of this push with the same action key finds it there, as it would have.
            if let local = try? JSONDecoder().decode(ActionRecord.self, from: data) { remoteRecords[key] = local }
        }
        transfer.seconds = Date().timeIntervalSince(started)
        return transfer
    }

    /// Downloads what the locks of `targets` (every project when empty) reference and this cache
    /// lacks, re-hashing every object before it is published into `cache/objects/`; a record is
    /// stored only once all its objects are here, then the memo entries it names (each re-hashed
    /// against its ``ContentCache/MemoManifest``). A remote object whose bytes are not its digest's
    /// is reported as corrupt and left out (its stage runs again), never used.
    public func pull(targets: [String] = [], progress: ProgressSink = .silent) async throws -> RemoteTransfer {
        try await withRemote { remote, location in
            try await self.pull(from: remote, location: location, targets: targets, progress: progress)
        }
    }

    func pull(
        from remote: any RemoteStore, location: RemoteLocation, targets: [String], progress: ProgressSink
    ) async throws -> RemoteTransfer {
        try await pull(from: remote, location: location, items: try referencedItems(targets: targets), progress: progress)
    }

    /// Fetches a registered version's model (and report) from the remote cache when this cache
    /// lacks it and a remote is declared: the read-through of `lunette score`.
    /// - Returns: whether anything was downloaded; `false` with no remote or nothing missing.
    @discardableResult
    public func fetchIfMissing(_ metric: RegisteredMetric) async throws -> Bool {
        guard let model = ContentHash(parsing: metric.modelDigest), try remoteLocation() != nil,
            !FileManager.default.fileExists(atPath: try openCache().objectURL(model).path)
        else { return false }
        let outputs = [metric.modelDigest, metric.reportDigest].compactMap { $0 }.compactMap(ContentHash.init(parsing:))
            .map { RemoteItem.Output(digest: $0, size: nil, isDirectory: true) }
        let item = RemoteItem(name: metric.reference, actionKey: nil, outputs: outputs)
        let transfer = try await withRemote { remote, location in
            try await self.pull(from: remote, location: location, items: [item], progress: .silent)
        }
        if !transfer.corrupt.isEmpty {
            throw WorkspaceError(
                .failed, "the model of \(metric.reference) is corrupt on the remote \(transfer.remote): \(transfer.corrupt.joined(separator: ", "))",
                remedy: "re-run `lunette run \(metric.project)/\(metric.run)` and `lunette push` from a clone that has it")
        }
        return !transfer.downloaded.isEmpty
    }

    /// Pulls what the locks of `targets` reference and this cache lacks, when a remote is declared:
    /// the read-through of `lunette verify`.
    /// - Returns: notes on what came (or was corrupt); a warning, not an error, when the remote cannot be read.
    func readThrough(targets: [String]) async -> [Diagnostic] {
        guard let location = try? remoteLocation() else { return [] }
        do {
            let pulled = try await pull(targets: targets)
            var notes: [Diagnostic] = []
            if !pulled.downloaded.isEmpty {
                notes.append(Diagnostic(.note, "pulled \(pulled.downloaded.count) objects from \(location.description)"))
            }
            for item in pulled.corrupt { notes.append(.warning("corrupt on the remote, left out: \(item)")) }
            return notes
        } catch {
            return [.warning("the remote cache \(location.description) could not be read; going on without it: \(error)")]
        }
    }

    /// ``modelFolder(for:)``, first fetching the model from the remote cache when this cache lacks
    /// it (``fetchIfMissing(_:)``): the read-through of `lunette serve`. When the model is still
    /// missing, the remote's error (a corrupt model, an unreachable remote) is the one thrown.
    public func modelFolder(for metric: RegisteredMetric, readingThrough: Bool) async throws -> URL {
        guard readingThrough else { return try modelFolder(for: metric) }
        var fetchError: (any Error)?
        do {
            try await fetchIfMissing(metric)
        } catch {
            fetchError = error
        }
        do {
            return try modelFolder(for: metric)
        } catch {
            throw fetchError ?? error
        }
    }

    /// Per locked stage, where its result is: in this cache, only on the remote, or nowhere
    /// (`lunette cache status`). Without a remote, "remote" is never reported.
    public func cacheStatus(targets: [String] = []) async throws -> [CacheStatusEntry] {
        let cache = try openCache()
        let items = try referencedItems(targets: targets).filter { $0.actionKey != nil }
        let remoteDeclared = try remoteLocation() != nil
        return try await withOptionalRemote(remoteDeclared) { remote in
            var entries: [CacheStatusEntry] = []
            for item in items {
                guard let key = item.actionKey, let id = StageID(item.name) else { continue }
                let place: CacheStatusEntry.Place
                if cache.record(for: key) != nil {
                    place = .local
                } else if let remote, try await remote.exists(Self.recordKey(key)) {
                    place = .remote
                } else {
                    place = .missing
                }
                entries.append(CacheStatusEntry(stage: id, place: place))
            }
            return entries
        }
    }

    /// The locked stages of `targets` whose result this cache lacks and the remote has (its action
    /// record is there, so its objects are too), by action key: what `lunette plan` shows as
    /// "skip  in remote". One existence check per such stage, ``remoteJobs()`` at once.
    /// - Returns: nothing and no warning without a remote; nothing and a warning when it cannot be read.
    func remoteOutputs(targets: [String]) async throws -> ([ContentHash: [String: LockedOutput]], [Diagnostic]) {
        guard let location = try remoteLocation() else { return ([:], []) }
        let cache = try openCache()
        let missing = try referencedItems(targets: targets).filter { item in
            item.actionKey.map { cache.record(for: $0) == nil } ?? false
        }
        guard !missing.isEmpty else { return ([:], []) }
        do {
            let jobs = remoteJobs()
            // A plan only looks: one retry, not a transfer's four, unless the settings file or
            // LUNETTE_REMOTE_RETRIES says otherwise.
            var configured = try remoteSettings()?.transfer ?? [:]
            if configured["retries"] == nil { configured["retries"] = 1 }
            let remote: any RemoteStore
            do {
                remote = try location.open(environment: environment, configured: configured)
            } catch let error as RemoteError {
                throw WorkspaceError(.failed, error.message, remedy: error.remedy)
            }
            let found: [Bool]
            do {
                found = try await Self.bounded(missing, limit: jobs) { item -> Bool in
                    guard let key = item.actionKey else { return false }
                    return try await remote.exists(Self.recordKey(key))
                }
                await remote.shutDown()
            } catch {
                await remote.shutDown()
                throw error
            }
            var outputs: [ContentHash: [String: LockedOutput]] = [:]
            for (item, isThere) in zip(missing, found) where isThere {
                if let key = item.actionKey { outputs[key] = item.locked }
            }
            return (outputs, [])
        } catch let error as CancellationError {
            throw error
        } catch {
            return ([:], [.warning("the remote cache \(location.description) could not be read; planning without it: \(error)")])
        }
    }

    /// ``withRemote(_:)`` when `open`, else `body(nil)`.
    func withOptionalRemote<T: Sendable>(_ open: Bool, _ body: ((any RemoteStore)?) async throws -> T) async throws -> T {
        guard open else { return try await body(nil) }
        return try await withRemote { remote, _ in try await body(remote) }
    }

    /// What the committed files reference: each locked stage (its key and outputs) and each
    /// registered version's model and report.
    func referencedItems(targets: [String]) throws -> [RemoteItem] {
        let (projects, _) = try loadProjectsForCheck()
        let locks = try readLocks(projects)
        // The targets mean what they mean to `lunette run`: globs, and every stage upstream of them.
        let blueprints = Dictionary(
            projects.flatMap { project in project.runs.flatMap { StageExpansion.blueprints(for: $0, in: project) } }.map { ($0.id, $0) },
            uniquingKeysWith: { first, _ in first })
        let selected = try TargetSelection.select(targets, among: blueprints).selected
        var items: [RemoteItem] = []
        for project in projects.sorted(by: { $0.name < $1.name }) {
            for (id, entry) in (locks[project.name]?.stages ?? [:]).sorted(by: { $0.key < $1.key }) where selected.contains(id) {
                let outputs = entry.outputs.values.map {
                    RemoteItem.Output(digest: $0.digest, size: $0.size, isDirectory: $0.kind == "directory")
                }.sorted { $0.digest.hex < $1.digest.hex }
                items.append(RemoteItem(name: id.description, actionKey: entry.key, outputs: outputs, locked: entry.outputs))
            }
        }
        if targets.isEmpty {
            for metric in try registeredMetrics() {
                let outputs = [metric.modelDigest, metric.reportDigest].compactMap { $0 }.compactMap(ContentHash.init(parsing:))
                    .map { RemoteItem.Output(digest: $0, size: nil, isDirectory: true) }
                items.append(RemoteItem(name: metric.reference, actionKey: nil, outputs: outputs))
            }
        }
        return items
    }

    /// Opens the remote, runs `body` with it and closes it however `body` ends.
    func withRemote<T: Sendable>(_ body: (any RemoteStore, RemoteLocation) async throws -> T) async throws -> T {
        let (remote, location) = try openRemote()
        do {
            let value = try await body(remote, location)
            await remote.shutDown()
            return value
        } catch {
            await remote.shutDown()
            throw error
        }
    }

    func openRemote() throws -> (any RemoteStore, RemoteLocation) {
        guard let settings = try remoteSettings() else {
            throw WorkspaceError(
                .failed, "no remote cache is declared",
                remedy: "add `remote: s3://BUCKET/PREFIX` (or a shared folder path) to lunette.yaml at the workspace root, or set LUNETTE_REMOTE")
        }
        let location = try remoteLocation(settings)
        _ = try remoteTransferSettings(settings)  // a variable out of range is an error for a folder remote too
        do {
            return (try location.open(environment: environment, configured: settings.transfer), location)
        } catch let error as RemoteError {
            throw WorkspaceError(.failed, error.message, remedy: error.remedy)
        }
    }

    /// Transfers at once: `LUNETTE_REMOTE_JOBS`, else `remote.jobs` of the settings file, else 8
    /// (a value out of range was refused when the remote opened).
    func remoteJobs() -> Int {
        (try? remoteTransferSettings())?.jobs ?? RemoteTransferSettings().jobs
    }

    /// Runs `work` on every element, at most `limit` at once; the results in the elements' order.
    static func bounded<T: Sendable, R: Sendable>(
        _ items: [T], limit: Int, _ work: @escaping @Sendable (T) async throws -> R
    ) async throws -> [R] {
        try await withThrowingTaskGroup(of: (Int, R).self) { group in
            var results: [R?] = Array(repeating: nil, count: items.count)
            var next = 0
            while next < items.count && next < max(1, limit) {
                let index = next
                group.addTask { (index, try await work(items[index])) }
                next += 1
            }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < items.count {
                    let index = next
                    group.addTask { (index, try await work(items[index])) }
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }

    /// `objects/ab/abcd…`: the same layout as `cache/objects/`.
    static func objectKey(_ digest: ContentHash) -> String { "objects/\(digest.hex.prefix(2))/\(digest.hex)" }
    /// `actions/ab/abcd….json`: an action record by its key.
    static func recordKey(_ key: ContentHash) -> String { "actions/\(key.hex.prefix(2))/\(key.hex).json" }
}

extension Workspace {
    /// The action record of `key` on the remote, or `nil` when there is none (or it does not decode).
    func remoteRecord(_ key: ContentHash, in remote: any RemoteStore) async throws -> ActionRecord? {
        let file = cacheDirectory.appendingPathComponent("tmp/record-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: file) }
        guard try await remote.download(Self.recordKey(key), to: file) else { return nil }
        return try? JSONDecoder().decode(ActionRecord.self, from: Data(contentsOf: file))
    }
}

extension ActionRecord {
    var outputDigests: Set<ContentHash> { Set(outputs.values.map(\.digest)) }
}

/// What pulling one object came to.
enum ObjectPull: Sendable {
    case present
    case downloaded(String, Int64)
    case missingRemotely(String)
    case corrupt(String)
}

/// What pushing one object came to.
enum ObjectPush: Sendable {
    case alreadyThere
    case missingLocally(String)
    case uploaded(String, Int64)
}

/// One thing the committed files reference: a locked stage (with its action key) or a registered version.
struct RemoteItem {
    struct Output {
        var digest: ContentHash
        var size: Int64?
        var isDirectory: Bool
    }

    var name: String
    var actionKey: ContentHash?
    var outputs: [Output]
    /// A locked stage's outputs by name, as its lock entry has them.
    var locked: [String: LockedOutput] = [:]

    var outputDigests: Set<ContentHash> { Set(outputs.map(\.digest)) }
}

/// What a push or a pull did: keys moved, already there, missing, corrupt; bytes and time.
public struct RemoteTransfer: Sendable {
    public var remote: String
    public var uploaded: [String] = []
    public var downloaded: [String] = []
    public var alreadyThere = 0
    /// Objects a lock names that this cache does not have (push) and so could not be uploaded.
    public var missingLocally: [String] = []
    /// Objects or records the remote does not have (pull).
    public var missingRemotely: [String] = []
    /// Remote objects whose bytes are not their digest's: reported and left out.
    public var corrupt: [String] = []
    public var bytes: Int64 = 0
    public var seconds: Double = 0

    public init(remote: String) {
        self.remote = remote
    }
}

/// Where one locked stage's result is, for `lunette cache status`.
public struct CacheStatusEntry: Sendable, Hashable {
    public enum Place: String, Sendable, Hashable {
        /// In this workspace's cache.
        case local
        /// Only on the remote cache: `lunette pull` (or a run's read-through) fetches it.
        case remote
        /// Nowhere: the stage runs again.
        case missing
    }

    public var stage: StageID
    public var place: Place
}
