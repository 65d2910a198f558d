import Basics
import ContentCache
import Foundation
import RemoteCache

/// Moving a stage's memo entries (provider answers, embeddings) with it: the entries its action
/// record's ``ContentCache/MemoManifest`` lists go to `memo/ab/<key>` on the remote (the local
/// `cache/memo/` layout), each value re-hashed against the manifest before it is used or stored,
/// and the manifest itself (`memo/ab/<its SHA-256>`) goes last, locally and on the remote: where
/// the manifest is, its entries are.
extension Workspace {
    var memo: CacheMemo { CacheMemo(root: cacheDirectory.appendingPathComponent("memo")) }

    /// Uploads the entries the manifest `digest` lists that the remote lacks, then the manifest.
    /// Nothing is uploaded when the manifest is on the remote already, or when it or an entry is
    /// not (intact) in this cache: memo entries only save work, so a stage is pushed without them.
    func pushMemo(
        _ digest: ContentHash, to remote: any RemoteStore, index: RemoteKeyIndex, dryRun: Bool, jobs: Int,
        into transfer: inout RemoteTransfer,
        progress: ProgressSink
    ) async throws {
        let memo = self.memo
        let manifestKey = Self.memoKey(digest)
        if try await index.exists(manifestKey) {
            transfer.alreadyThere += 1 + (memo.value(for: digest).flatMap { MemoManifest.parse($0, expected: digest) }?.entries.count ?? 0)
            return
        }
        guard let data = memo.value(for: digest), let manifest = MemoManifest.parse(data, expected: digest) else { return }
        progress.planned(manifest.entries.count + 1, bytes: manifest.entries.reduce(Int64(data.count)) { $0 + Int64($1.size) })
        let results = try await Self.bounded(manifest.entries, limit: jobs) { entry -> ObjectPush in
            let key = Self.memoKey(entry.key)
            if try await index.exists(key) {
                progress.skipped(key)
                return .alreadyThere
            }
            let file = memo.url(for: entry.key)
            guard let value = FileManager.default.contents(atPath: file.path), ContentHash.of(value) == entry.digest else {
                progress.skipped(key)
                return .missingLocally(entry.key.short)
            }
            if !dryRun {
                try await remote.upload(file, as: key, sha256: entry.digest.hex)
            }
            progress.done(key, bytes: Int64(value.count))
            return .uploaded(key, Int64(value.count))
        }
        var complete = true
        for result in results {
            switch result {
            case .alreadyThere: transfer.alreadyThere += 1
            case .missingLocally: complete = false
            case .uploaded(let key, let bytes):
                transfer.uploaded.append(key)
                transfer.bytes += bytes
            }
        }
        guard complete else {
            progress.skipped(manifestKey)
            return
        }
        if !dryRun {
            try await remote.upload(memo.url(for: digest), as: manifestKey, sha256: digest.hex)
        }
        progress.done(manifestKey, bytes: Int64(data.count))
        transfer.uploaded.append(manifestKey)
        transfer.bytes += Int64(data.count)
    }

    /// Downloads the manifest `digest` and the entries it lists that this memo lacks, each
    /// re-hashed; the manifest is stored last, only when every entry is here. A manifest the remote
    /// lacks is no error (the pushing clone had no complete memo for the stage); one whose bytes,
    /// or an entry whose value, do not hash as named is reported as corrupt and left out. Within one
    /// pull, a manifest is pulled once and an entry fetched once, however many stages name them.
    func pullMemo(_ digest: ContentHash, for name: String, _ context: PullContext, into transfer: inout RemoteTransfer) async throws {
        let memo = self.memo
        if let data = memo.value(for: digest), MemoManifest.parse(data, expected: digest) != nil { return }
        let (part, first) = try await context.manifests.run(Self.memoKey(digest)) {
            try await self.pullManifest(digest, for: name, context)
        }
        if first { transfer.add(part) }
    }

    private func pullManifest(_ digest: ContentHash, for name: String, _ context: PullContext) async throws -> RemoteTransfer {
        let (memo, remote, scratch, progress) = (self.memo, context.remote, context.scratch, context.progress)
        var transfer = RemoteTransfer(remote: "")
        let manifestFile = scratch.appendingPathComponent("memo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: manifestFile) }
        guard try await remote.download(Self.memoKey(digest), to: manifestFile) else { return transfer }
        let data = try Data(contentsOf: manifestFile)
        guard let manifest = MemoManifest.parse(data, expected: digest) else {
            transfer.corrupt.append("\(Self.memoKey(digest)) (\(name))")
            progress.notice("corrupt: \(Self.memoKey(digest)) does not hash to its name; left out")
            return transfer
        }
        progress.planned(manifest.entries.count + 1, bytes: manifest.entries.reduce(Int64(data.count)) { $0 + Int64($1.size) })
        let results = try await Self.bounded(manifest.entries, limit: context.jobs) { entry -> ObjectPull in
            let key = Self.memoKey(entry.key)
            // Keyed by value too: two manifests may name one entry with other values (made elsewhere).
            let (outcome, first) = try await context.objects.run("\(key) \(entry.digest.hex)") { () async throws -> FetchOutcome in
                if let value = memo.value(for: entry.key), ContentHash.of(value) == entry.digest {
                    progress.skipped(key)
                    return .present
                }
                let file = scratch.appendingPathComponent("memo-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: file) }
                guard try await remote.download(key, to: file) else {
                    progress.skipped(key)
                    return .missing
                }
                let value = try Data(contentsOf: file)
                guard value.count == entry.size, ContentHash.of(value) == entry.digest else {
                    progress.skipped(key)
                    progress.notice("corrupt: \(key) does not hash as its manifest says; left out")
                    return .corrupt
                }
                try memo.store(value, for: entry.key)
                progress.done(key, bytes: Int64(value.count))
                return .downloaded(Int64(value.count))
            }
            if !first { progress.skipped(key) }
            switch outcome {
            case .present: return .present
            case .downloaded(let bytes): return first ? .downloaded(key, bytes) : .present
            case .missing: return .missingRemotely("\(name): memo \(entry.key.short)")
            case .corrupt: return .corrupt("\(key) (\(name))")
            }
        }
        var complete = true
        for result in results {
            switch result {
            case .present: break
            case .downloaded(let key, let bytes):
                transfer.downloaded.append(key)
                transfer.bytes += bytes
            case .missingRemotely:
                complete = false  // memo entries only save work: not a failure of the pull
            case .corrupt(let what):
                transfer.corrupt.append(what)
                complete = false
            }
        }
        guard complete else {
            progress.skipped(Self.memoKey(digest))
            return transfer
        }
        try memo.store(data, for: digest)
        progress.done(Self.memoKey(digest), bytes: Int64(data.count))
        transfer.downloaded.append(Self.memoKey(digest))
        transfer.bytes += Int64(data.count)
        return transfer
    }

    /// `memo/ab/abcd…`: a memo entry (or manifest) by its key, as in `cache/memo/`.
    static func memoKey(_ key: ContentHash) -> String { "memo/\(key.hex.prefix(2))/\(key.hex)" }
}
