import Basics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Directory artifacts kept materialised at a fixed place and reused across invocations (a
/// registered model under `cache/registry/<name>@<version>/`, a report under `cache/reports/`).
///
/// Such a folder carries a *stamp*, `.lunette-stamp.json`, written last (atomically) once the
/// folder is complete: the directory artifact's digest and, per file, its digest, size, mtime,
/// ctime and inode. A reader trusts the folder only when the stamp names the digest it wants and
/// every file's `lstat` fields still match (cheap: no byte is read). A file whose fields changed is
/// re-hashed: unchanged bytes refresh the stamp, changed bytes make the folder stale. `deep` checks
/// re-hash every file regardless (`lunette cache verify`). The ctime can't be set back by a user,
/// so an edit that restores the mtime (`touch -r`) is still noticed.
///
/// ```json
/// {"digest":"sha256:…","files":[{"ctime_ns":…,"digest":"sha256:…","inode":…,"mtime_ns":…,"path":"metric.json","size":812}]}
/// ```
extension ContentCache {
    /// The stamp's file name inside a materialised folder.
    public static let stampFileName = ".lunette-stamp.json"

    /// Why a materialised folder can't be used as it is.
    public enum FolderProblem: Hashable, Sendable, CustomStringConvertible {
        /// No folder, or no stamp (never completed, or made by an older Lunette).
        case missing
        /// The stamp names another artifact (e.g. the store was reset and the version reused).
        case otherArtifact(ContentHash)
        /// A file's bytes differ from the artifact's, or files were added or removed.
        case changed(String)

        public var description: String {
            switch self {
            case .missing: "not materialised (no stamp)"
            case .otherArtifact(let digest): "holds another artifact (\(digest.short))"
            case .changed(let what): what
            }
        }
    }

    /// Checks the folder materialised from the directory artifact `digest`.
    ///
    /// - Parameter deep: re-hash every file, not only those whose `lstat` fields changed.
    /// - Returns: `nil` when the folder holds exactly the artifact's files (the stamp is refreshed
    ///   when only metadata changed), else what is wrong.
    public func checkMaterialized(_ digest: ContentHash, at folder: URL, deep: Bool = false) -> FolderProblem? {
        let folderPath = folder.standardizedFileURL.path
        guard let data = try? FileIO.readAll(folderPath + "/" + Self.stampFileName),
            let stamp = try? JSONDecoder().decode(Stamp.self, from: data)
        else { return .missing }
        guard stamp.digest == digest else { return .otherArtifact(stamp.digest) }
        let present = Self.stampableFiles(in: folderPath)
        let stamped = Set(stamp.files.map(\.path))
        if present != stamped {
            let extra = present.subtracting(stamped).sorted(), missing = stamped.subtracting(present).sorted()
            return .changed(
                (extra.isEmpty ? "" : "unexpected \(extra.joined(separator: ", "))")
                    + (extra.isEmpty || missing.isEmpty ? "" : "; ") + (missing.isEmpty ? "" : "missing \(missing.joined(separator: ", "))"))
        }
        // The expected digests come from the tree object when the cache still has it (the stamp's
        // copy only vouches for files when it does not).
        let expected = (try? readTree(digest)).map { tree in
            Dictionary(tree.entries.map { ($0.path, $0.digest) }, uniquingKeysWith: { first, _ in first })
        }
        if let expected, Set(expected.keys) != stamped { return .changed("the files differ from the artifact's") }
        var refreshed = stamp
        for (index, file) in stamp.files.enumerated() {
            let path = folderPath + "/" + file.path
            guard let status = FileIO.linkStatus(path), FileIO.isRegular(status) else { return .changed("\(file.path) is not a file") }
            let now = Stamp.File(path: file.path, digest: file.digest, status: status)
            if !deep && now == file { continue }
            guard let actual = try? FileIO.hash(path), actual.digest == (expected?[file.path] ?? file.digest),
                actual.size == now.size
            else { return .changed("\(file.path) was changed") }
            refreshed.files[index] = now
        }
        if refreshed != stamp { try? writeStamp(refreshed, in: folderPath) }
        return nil
    }

    /// Materialises the directory artifact `ref` at `folder` (replacing what is there, atomically)
    /// and stamps it.
    /// - Throws: ``CacheError`` as ``materialize(_:at:)``.
    public func materializeStamped(_ ref: ArtifactRef, at folder: URL) throws {
        let folderPath = folder.standardizedFileURL.path
        try materialize(ref, at: folder)
        let tree = try readTree(ref)
        var files: [Stamp.File] = []
        for entry in tree.entries {
            guard let status = FileIO.linkStatus(folderPath + "/" + entry.path) else {
                throw CacheError(.missing, "a materialised file vanished", path: folderPath + "/" + entry.path,
                                 remedy: "something else is writing into this folder; stop it and retry")
            }
            files.append(Stamp.File(path: entry.path, digest: entry.digest, status: status))
        }
        try writeStamp(Stamp(digest: ref.digest, files: files), in: folderPath)
    }

    /// Reads a tree object by digest alone (its bytes must hash to the digest).
    func readTree(_ digest: ContentHash) throws -> TreeManifest {
        let path = objectPath(digest)
        let data = try FileIO.readAll(path)
        guard ContentHash.of(data) == digest else { throw corruptError(digest) }
        return try TreeManifest.parse(data, objectPath: path)
    }

    private func writeStamp(_ stamp: Stamp, in folderPath: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let path = folderPath + "/" + Self.stampFileName
        do {
            try AtomicFile.write(try encoder.encode(stamp), to: path)
        } catch {
            throw CacheError(.io, "cannot write the folder's stamp", path: path, remedy: "check the folder's permissions", cause: error)
        }
    }

    /// Every regular file and symlink under `folder` (relative paths), leaving out the stamp.
    static func stampableFiles(in folder: String) -> Set<String> {
        var files: Set<String> = []
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return files }
        while let relative = enumerator.nextObject() as? String {
            guard relative != stampFileName, let status = FileIO.linkStatus(folder + "/" + relative) else { continue }
            if FileIO.isRegular(status) || FileIO.isSymlink(status) { files.insert(relative) }
        }
        return files
    }

    struct Stamp: Codable, Hashable {
        struct File: Codable, Hashable {
            var path: String
            var digest: ContentHash
            var size: Int64
            var mtimeNs: Int64
            var ctimeNs: Int64
            var inode: UInt64

            enum CodingKeys: String, CodingKey {
                case path, digest, size, inode
                case mtimeNs = "mtime_ns"
                case ctimeNs = "ctime_ns"
            }

            init(path: String, digest: ContentHash, status: stat) {
                self.path = path
                self.digest = digest
                size = Int64(status.st_size)
                mtimeNs = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
                ctimeNs = Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec)
                inode = UInt64(status.st_ino)
            }
        }

        var digest: ContentHash
        var files: [File]
    }
}
