import Basics
import ContentCache
import Foundation
import ManifestLoading
import Planning
import RemoteCache
import WorkflowModel

extension Workspace {
    /// The remote cache this workspace uses: `LUNETTE_REMOTE` (with `LUNETTE_REMOTE_ENDPOINT`,
    /// `LUNETTE_REMOTE_REGION`) when set, else `lunette.local.yaml`'s, else `lunette.yaml`'s `remote:`;
    /// `nil` when none is declared. `LUNETTE_REMOTE=off` turns it off for one command.
    /// - Throws: ``WorkspaceError`` `invalidManifests` for a settings file with errors, or for a remote URL it cannot use.
    public func remoteLocation() throws -> RemoteLocation? {
        var settings: RemoteSettings?
        if let url = environment["LUNETTE_REMOTE"], !url.isEmpty {
            if url == "off" { return nil }
            settings = RemoteSettings(url: url, endpoint: environment["LUNETTE_REMOTE_ENDPOINT"], region: environment["LUNETTE_REMOTE_REGION"])
        } else {
            let (found, diagnostics) = WorkspaceSettingsReader.remote(root: root)
            if diagnostics.hasErrors {
                throw WorkspaceError(.invalidManifests, "invalid workspace settings", diagnostics: diagnostics)
            }
            settings = found
        }
        guard let settings else { return nil }
        do {
            return try RemoteLocation.parse(
                settings.url, endpoint: settings.endpoint, region: settings.region, pathStyle: settings.pathStyle, root: root)
        } catch let error as RemoteError {
            throw WorkspaceError(.failed, error.message, remedy: error.remedy)
        }
    }

    /// Uploads what the locks of `targets` (every project when empty) reference and the remote
    /// lacks: each stage's output objects (a folder's tree object and its files), then its action
    /// record, only once all its objects are there; and every registered model and report.
    /// - Parameter dryRun: list what would be uploaded, upload nothing.
    public func push(
        targets: [String] = [], dryRun: Bool = false, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> RemoteTransfer {
        try await withRemote { remote, location in
            try await self.push(to: remote, location: location, targets: targets, dryRun: dryRun, progress: progress)
        }
    }

    func push(
        to remote: any RemoteStore, location: RemoteLocation, targets: [String], dryRun: Bool,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> RemoteTransfer {
        let cache = try openCache()
        let started = Date()
        var transfer = RemoteTransfer(remote: location.description)
        var handled: Set<String> = []  // keys this push already uploaded or found (stages share objects)
        for item in try referencedItems(targets: targets) {
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
            var complete = true
            for (digest, size) in objects {
                let key = Self.objectKey(digest)
                guard handled.insert(key).inserted else { continue }
                if try await remote.exists(key) {
                    transfer.alreadyThere += 1
                    continue
                }
                let file = cache.objectURL(digest)
                guard FileManager.default.fileExists(atPath: file.path) else {
                    transfer.missingLocally.append("\(item.name): \(digest.short)")
                    complete = false
                    continue
                }
                transfer.uploaded.append(key)
                transfer.bytes += size ?? 0
                if !dryRun {
                    try await remote.upload(file, as: key, sha256: digest.hex)
                    progress("pushed \(key) (\(item.name))")
                }
            }
            // The record goes last, and only when every object it points at is on the remote.
            guard complete, let key = item.actionKey else { continue }
            let recordKey = Self.recordKey(key)
            if try await remote.exists(recordKey) {
                transfer.alreadyThere += 1
                continue
            }
            guard let data = cache.recordData(for: key) else {
                transfer.missingLocally.append("\(item.name): record \(key.short)")
                continue
            }
            transfer.uploaded.append(recordKey)
            transfer.bytes += Int64(data.count)
            if !dryRun {
                let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-record-\(UUID().uuidString)")
                try data.write(to: temporary)
                defer { try? FileManager.default.removeItem(at: temporary) }
                try await remote.upload(temporary, as: recordKey, sha256: nil)
                progress("pushed \(recordKey) (\(item.name))")
            }
        }
        transfer.seconds = Date().timeIntervalSince(started)
        return transfer
    }

    /// Downloads what the locks of `targets` (every project when empty) reference and this cache
    /// lacks, re-hashing every object before it is published into `cache/objects/`; a record is
    /// stored only once all its objects are here. A remote object whose bytes are not its digest's
    /// is reported as corrupt and left out (its stage runs again), never used.
    public func pull(targets: [String] = [], progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> RemoteTransfer {
        try await withRemote { remote, location in
            try await self.pull(from: remote, location: location, targets: targets, progress: progress)
        }
    }

    func pull(
        from remote: any RemoteStore, location: RemoteLocation, targets: [String], progress: @escaping @Sendable (String) -> Void
    ) async throws -> RemoteTransfer {
        let cache = try openCache()
        let started = Date()
        var transfer = RemoteTransfer(remote: location.description)
        let scratch = cacheDirectory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)

        /// Downloads one object unless it is here; false when the remote lacks it or it is corrupt.
        func fetch(_ digest: ContentHash, size: Int64?, for name: String) async throws -> Bool {
            if let size, cache.hasObject(ArtifactRef(digest: digest, size: size, kind: .file)) { return true }
            if size == nil, FileManager.default.fileExists(atPath: cache.objectURL(digest).path) { return true }
            let key = Self.objectKey(digest)
            let file = scratch.appendingPathComponent("pull-\(UUID().uuidString)")
            guard try await remote.download(key, to: file) else {
                transfer.missingRemotely.append("\(name): \(digest.short)")
                return false
            }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int64) ?? 0
            guard try cache.adopt(downloaded: file, as: digest, size: size) else {
                transfer.corrupt.append("\(key) (\(name))")
                progress("corrupt: \(key) does not hash to its name; left out, its stage will run again")
                return false
            }
            transfer.downloaded.append(key)
            transfer.bytes += bytes
            progress("pulled \(key) (\(name))")
            return true
        }

        for item in try referencedItems(targets: targets) {
            try Task.checkCancellation()
            if let key = item.actionKey, cache.record(for: key) != nil {
                transfer.alreadyThere += 1
                continue
            }
            var complete = true
            for output in item.outputs {
                if output.isDirectory {
                    guard try await fetch(output.digest, size: output.size, for: item.name),
                        let entries = cache.treeEntries(of: output.digest)
                    else {
                        complete = false
                        continue
                    }
                    for entry in entries where !(try await fetch(entry.digest, size: entry.size, for: item.name)) {
                        complete = false
                    }
                } else if !(try await fetch(output.digest, size: output.size, for: item.name)) {
                    complete = false
                }
            }
            guard complete, let key = item.actionKey else { continue }
            let file = scratch.appendingPathComponent("record-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: file) }
            guard try await remote.download(Self.recordKey(key), to: file) else {
                transfer.missingRemotely.append("\(item.name): record \(key.short)")
                continue
            }
            if try cache.adoptRecord(try Data(contentsOf: file), for: key) {
                transfer.downloaded.append(Self.recordKey(key))
            } else {
                transfer.corrupt.append("\(Self.recordKey(key)) (\(item.name))")
            }
        }
        transfer.seconds = Date().timeIntervalSince(started)
        return transfer
    }

    /// What the committed files reference: each locked stage (its key and outputs) and each
    /// registered version's model and report.
    func referencedItems(targets: [String]) throws -> [RemoteItem] {
        let (projects, _) = try loadProjectsLeniently()
        let locks = try readLocks(projects)
        var items: [RemoteItem] = []
        for project in projects.sorted(by: { $0.name < $1.name }) {
            for (id, entry) in (locks[project.name]?.stages ?? [:]).sorted(by: { $0.key < $1.key })
            where Self.selected(id, by: targets) {
                let outputs = entry.outputs.values.map {
                    RemoteItem.Output(digest: $0.digest, size: $0.size, isDirectory: $0.kind == "directory")
                }.sorted { $0.digest.hex < $1.digest.hex }
                items.append(RemoteItem(name: id.description, actionKey: entry.key, outputs: outputs))
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

    /// Projects for push and pull: manifests are loaded as `check` loads them (a base model that is
    /// not installed is not an error: pushing and pulling never need it).
    func loadProjectsLeniently() throws -> (projects: [Project], warnings: [Diagnostic]) {
        let result = ManifestLoader(
            workspaceRoot: root, modelsDirectory: modelsDirectory, cacheDirectory: cacheDirectory, missingModelSeverity: .warning
        ).loadAll()
        if result.diagnostics.hasErrors {
            throw WorkspaceError(.invalidManifests, "invalid manifests", diagnostics: result.diagnostics)
        }
        return (applyingFeedback(result.projects), result.diagnostics)
    }

    static func selected(_ id: StageID, by targets: [String]) -> Bool {
        targets.isEmpty || targets.contains { target in
            let parts = target.split(separator: "/").map(String.init)
            let mine = [id.project, id.run, id.stage]
            return parts.count <= 3 && zip(parts, mine).allSatisfy { $0 == "*" || $0 == $1 }
        }
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
        guard let location = try remoteLocation() else {
            throw WorkspaceError(
                .failed, "no remote cache is declared",
                remedy: "add `remote: s3://BUCKET/PREFIX` (or a shared folder path) to lunette.yaml at the workspace root, or set LUNETTE_REMOTE")
        }
        do {
            return (try location.open(environment: environment), location)
        } catch let error as RemoteError {
            throw WorkspaceError(.failed, error.message, remedy: error.remedy)
        }
    }

    /// `objects/ab/abcd…`: the same layout as `cache/objects/`.
    static func objectKey(_ digest: ContentHash) -> String { "objects/\(digest.hex.prefix(2))/\(digest.hex)" }
    /// `actions/ab/abcd….json`: an action record by its key.
    static func recordKey(_ key: ContentHash) -> String { "actions/\(key.hex.prefix(2))/\(key.hex).json" }
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
