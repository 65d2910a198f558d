import Basics
import ContentCache
import Foundation
import RemoteCache

/// What one pull shares among the stages it works on at once.
struct PullContext: Sendable {
    let cache: ContentCache
    /// The remote, at most `jobs` requests at once across every stage (``LimitedRemote``).
    let remote: any RemoteStore
    let scratch: URL
    let jobs: Int
    let progress: ProgressSink
    /// Each object and memo entry fetched once per pull, however many stages name it.
    let objects = TransferOnce<FetchOutcome>()
    /// Each memo manifest pulled once per pull.
    let manifests = TransferOnce<RemoteTransfer>()
}

/// What fetching one object (or memo entry) came to, whoever asked for it.
enum FetchOutcome: Sendable {
    case present
    case downloaded(Int64)
    case missing
    case corrupt
}

extension Workspace {
    /// Downloads `items` (locked stages, registered versions) that this cache lacks: several stages
    /// at once, and at most ``remoteJobs()`` transfers in flight across all of them.
    ///
    /// Every object is re-hashed before it is published into `cache/objects/` (a remote object whose
    /// bytes are not its digest's is reported as corrupt and left out; its stage runs again); a
    /// stage's record is stored only once all its objects are here, then the memo entries it names.
    /// An object or memo entry two stages name is fetched once. Cancelling (Ctrl-C) stops every
    /// transfer; a download under way leaves no file, and nothing half-downloaded is published.
    func pull(
        from remote: any RemoteStore, location: RemoteLocation, items: [RemoteItem], progress: ProgressSink
    ) async throws -> RemoteTransfer {
        let started = Date()
        let scratch = cacheDirectory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let jobs = remoteJobs()
        let context = PullContext(
            cache: try openCache(), remote: LimitedRemote(remote, limit: jobs), scratch: scratch, jobs: jobs, progress: progress)
        // Twice as many stages as transfers: a stage waits between its steps (trees, files, record,
        // memo), and the others keep the `jobs` places busy meanwhile.
        let parts = try await Self.bounded(items, limit: max(4, 2 * jobs)) { item in try await self.pull(item, context) }
        var transfer = RemoteTransfer(remote: location.description)
        for part in parts { transfer.add(part) }
        transfer.seconds = Date().timeIntervalSince(started)
        return transfer
    }

    /// Pulls one stage (or registered version): its tree objects, then its files, then its record,
    /// then its memo entries.
    private func pull(_ item: RemoteItem, _ context: PullContext) async throws -> RemoteTransfer {
        try Task.checkCancellation()
        let cache = context.cache
        var transfer = RemoteTransfer(remote: "")
        if let key = item.actionKey, let record = cache.record(for: key) {
            transfer.alreadyThere += 1
            if let memo = record.memo { try await pullMemo(memo, for: item.name, context, into: &transfer) }
            return transfer
        }
        var complete = true
        let name = item.name
        // Tree objects first (they name the files), then every file.
        context.progress.planned(item.outputs.count, bytes: item.outputs.reduce(0) { $0 + ($1.size ?? 0) })
        let outputs = try await Self.bounded(item.outputs, limit: context.jobs) { output in
            try await self.fetch(output.digest, size: output.size, for: name, context)
        }
        var files: [(digest: ContentHash, size: Int64?)] = []
        for (output, result) in zip(item.outputs, outputs) {
            guard transfer.note(result) else {
                complete = false
                continue
            }
            if output.isDirectory {
                guard let entries = cache.treeEntries(of: output.digest) else {
                    complete = false
                    continue
                }
                files += entries.map { ($0.digest, $0.size) }
            }
        }
        context.progress.planned(files.count, bytes: files.reduce(0) { $0 + ($1.size ?? 0) })
        let results = try await Self.bounded(files, limit: context.jobs) { file in
            try await self.fetch(file.digest, size: file.size, for: name, context)
        }
        for result in results where !transfer.note(result) { complete = false }
        guard complete, let key = item.actionKey else { return transfer }
        // A stage of the same action key (twin runs) may have stored it meanwhile.
        if cache.record(for: key) != nil {
            transfer.alreadyThere += 1
            return transfer
        }
        let file = context.scratch.appendingPathComponent("record-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        guard try await context.remote.download(Self.recordKey(key), to: file) else {
            transfer.missingRemotely.append("\(item.name): record \(key.short)")
            return transfer
        }
        let data = try Data(contentsOf: file)
        if !(try cache.adoptRecord(data, for: key)) {
            // A record of this action key with other outputs than the lock's (made by another clone
            // whose bytes differ) is no corruption: the lock's objects are here, re-hashed; record them.
            guard var record = try? JSONDecoder().decode(ActionRecord.self, from: data), record.key == key,
                record.outputDigests != item.outputDigests, !item.locked.isEmpty
            else {
                transfer.corrupt.append("\(Self.recordKey(key)) (\(item.name))")
                return transfer
            }
            record.outputs = item.locked.mapValues(\.artifactRef)
            record.stage = item.name
            try cache.store(record)
        }
        transfer.downloaded.append(Self.recordKey(key))
        transfer.bytes += Int64(data.count)
        context.progress.planned(1, bytes: Int64(data.count))
        context.progress.done(Self.recordKey(key), bytes: Int64(data.count))
        if let memo = cache.record(for: key)?.memo {
            try await pullMemo(memo, for: item.name, context, into: &transfer)
        }
        return transfer
    }

    /// Downloads one object unless it is here, re-hashed before it is published; once per pull,
    /// however many stages name it (the others find it present).
    private func fetch(_ digest: ContentHash, size: Int64?, for name: String, _ context: PullContext) async throws -> ObjectPull {
        let key = Self.objectKey(digest)
        let (cache, remote, scratch, progress) = (context.cache, context.remote, context.scratch, context.progress)
        let (outcome, first) = try await context.objects.run(key) {
            if let size, cache.hasObject(ArtifactRef(digest: digest, size: size, kind: .file))
                || size == nil && FileManager.default.fileExists(atPath: cache.objectURL(digest).path)
            {
                progress.skipped(key)
                return .present
            }
            let file = scratch.appendingPathComponent("pull-\(UUID().uuidString)")
            guard try await remote.download(key, to: file) else {
                progress.skipped(key)
                return .missing
            }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int64) ?? 0
            guard try cache.adopt(downloaded: file, as: digest, size: size) else {
                progress.skipped(key)
                progress.notice("corrupt: \(key) does not hash to its name; left out, its stage will run again")
                return .corrupt
            }
            progress.done(key, bytes: bytes)
            return .downloaded(bytes)
        }
        if !first { progress.skipped(key) }
        switch outcome {
        case .present: return .present
        case .downloaded(let bytes): return first ? .downloaded(key, bytes) : .present
        case .missing: return .missingRemotely("\(name): \(digest.short)")
        case .corrupt: return .corrupt("\(key) (\(name))")
        }
    }
}

extension RemoteTransfer {
    /// Records one object's `result`; whether the object is now here.
    mutating func note(_ result: ObjectPull) -> Bool {
        switch result {
        case .present: return true
        case .downloaded(let key, let bytes):
            downloaded.append(key)
            self.bytes += bytes
            return true
        case .missingRemotely(let what):
            missingRemotely.append(what)
            return false
        case .corrupt(let what):
            corrupt.append(what)
            return false
        }
    }

    /// Adds what `part` (one stage's share of a transfer) moved, found or missed.
    mutating func add(_ part: RemoteTransfer) {
        uploaded += part.uploaded
        downloaded += part.downloaded
        alreadyThere += part.alreadyThere
        missingLocally += part.missingLocally
        missingRemotely += part.missingRemotely
        corrupt += part.corrupt
        bytes += part.bytes
    }
}
