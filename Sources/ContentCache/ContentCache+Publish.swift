import Basics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ContentCache {
    /// Publishes a file's bytes as an object, hashing them while they are copied into `tmp/`.
    ///
    /// The copy is fsynced, made read-only (0444) and renamed into `objects/` (replacing an existing
    /// copy, which repairs one damaged in place). The source is never modified. Symlinks are followed.
    ///
    /// - Returns: A ``ArtifactRef/Kind/file`` reference.
    /// - Throws: ``CacheError`` (`.missing` when the source does not exist, `.unsafePath` when it is
    ///   not a regular file, `.io` otherwise).
    /// - Complexity: O(*n*) in the file's size; the source is read once.
    public func publish(fileAt source: URL) throws -> ArtifactRef {
        let sourcePath = source.path
        guard let status = FileIO.status(sourcePath) else {
            throw CacheError(.missing, "no file to publish", path: sourcePath, remedy: "check that the stage wrote it")
        }
        guard FileIO.isRegular(status) else {
            throw CacheError(
                .unsafePath, "not a regular file", path: sourcePath,
                remedy: "publish folders with publish(directoryAt:); devices and sockets can't be cached")
        }
        let input = try FileIO.openForReading(sourcePath)
        defer { close(input) }
        do {
            let (output, temporary) = try FileIO.createUnique(in: tmpPath, prefix: "")
            let copied: (digest: ContentHash, size: Int64)
            do {
                defer { close(output) }
                copied = try FileIO.copyHashing(from: input, sourcePath: sourcePath, to: output, destinationPath: temporary)
                try sealTemporary(output, path: temporary)
            } catch {
                unlink(temporary)
                throw error
            }
            return try commit(temporary: temporary, digest: copied.digest, size: copied.size)
        } catch var error as CacheError where error.code == .io {
            error.message = "cannot copy '\(sourcePath)' into the cache: \(error.message)"
            throw Self.blamingCacheDisk(error)
        }
    }

    /// `error` with, when the disk was full, how to move the cache to another disk.
    static func blamingCacheDisk(_ error: CacheError) -> CacheError {
        guard let code = (error.cause as? POSIXError)?.code, code == .ENOSPC || code == .EDQUOT else { return error }
        var error = error
        error.remedy += " (or point LUNETTE_CACHE at a bigger disk)"
        return error
    }

    /// Publishes bytes held in memory as an object.
    /// - Returns: A ``ArtifactRef/Kind/file`` reference.
    public func publish(data: Data) throws -> ArtifactRef {
        let digest = ContentHash.of(data)
        let ref = ArtifactRef(digest: digest, size: Int64(data.count), kind: .file)
        if hasObject(ref) { return ref }
        let (output, temporary) = try FileIO.createUnique(in: tmpPath, prefix: "")
        do {
            defer { close(output) }
            try data.withUnsafeBytes { try FileIO.writeAll(output, $0, path: temporary) }
            try sealTemporary(output, path: temporary)
        } catch {
            unlink(temporary)
            if let error = error as? CacheError { throw Self.blamingCacheDisk(error) }
            throw error
        }
        return try commit(temporary: temporary, digest: digest, size: ref.size)
    }

    /// Publishes every regular file under a directory, then the tree object that names it.
    ///
    /// Executable bits are recorded per file. Symlinks that resolve inside the directory are stored
    /// as copies of their targets; a symlink leading outside it, a dangling symlink, a symlink cycle
    /// or a device/socket/FIFO is rejected with ``CacheError/Code/unsafePath``.
    ///
    /// - Returns: A ``ArtifactRef/Kind/directory`` reference to the tree object.
    /// - Complexity: O(*n*) in the total size of the files; each is read once.
    public func publish(directoryAt source: URL) throws -> ArtifactRef {
        let sourcePath = source.path
        guard let rootReal = FileIO.realPath(sourcePath), let status = FileIO.status(rootReal),
            FileIO.isDirectory(status)
        else {
            throw CacheError(.missing, "no folder to publish", path: sourcePath, remedy: "check that the stage wrote it")
        }
        var entries: [TreeManifest.Entry] = []
        try collect(
            folder: rootReal, relativePath: "", rootReal: rootReal, shownRoot: sourcePath, ancestors: [rootReal],
            into: &entries)
        let tree = try publish(data: TreeManifest(entries: entries).canonicalData)
        return ArtifactRef(digest: tree.digest, size: tree.size, kind: .directory)
    }

    private func collect(
        folder: String, relativePath: String, rootReal: String, shownRoot: String, ancestors: Set<String>,
        into entries: inout [TreeManifest.Entry]
    ) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            throw CacheError(.io, "cannot list folder", path: folder, remedy: "check its permissions", cause: error)
        }
        for name in names {
            let path = folder + "/" + name
            let entryPath = relativePath.isEmpty ? name : relativePath + "/" + name
            guard var status = FileIO.linkStatus(path) else { continue }  // removed while we listed
            var target = path
            if FileIO.isSymlink(status) {
                let shown = shownRoot + "/" + entryPath
                guard let resolved = FileIO.realPath(path), let targetStatus = FileIO.status(resolved) else {
                    throw CacheError(
                        .unsafePath, "symlink '\(entryPath)' is dangling", path: shown,
                        remedy: "remove the link or create its target inside the folder")
                }
                guard resolved == rootReal || resolved.hasPrefix(rootReal + "/") else {
                    throw CacheError(
                        .unsafePath, "symlink '\(entryPath)' points outside the folder to '\(resolved)'", path: shown,
                        remedy: "replace the link with a copy of its target, or move the target inside the folder")
                }
                target = resolved
                status = targetStatus
            }
            if FileIO.isDirectory(status) {
                let real = FileIO.realPath(target) ?? target
                guard !ancestors.contains(real) else {
                    throw CacheError(
                        .unsafePath, "symlink '\(entryPath)' makes a cycle", path: shownRoot + "/" + entryPath,
                        remedy: "remove the link; a folder can't contain itself")
                }
                try collect(
                    folder: real, relativePath: entryPath, rootReal: rootReal, shownRoot: shownRoot,
                    ancestors: ancestors.union([real]), into: &entries)
            } else if FileIO.isRegular(status) {
                let ref = try publish(fileAt: URL(fileURLWithPath: target))
                entries.append(
                    TreeManifest.Entry(
                        path: entryPath, digest: ref.digest, size: ref.size, executable: status.st_mode & 0o100 != 0))
            } else {
                throw CacheError(
                    .unsafePath, "'\(entryPath)' is not a regular file, folder or symlink",
                    path: shownRoot + "/" + entryPath, remedy: "remove devices, sockets and FIFOs from outputs")
            }
        }
    }

    /// Makes a fully written temporary file read-only and durable.
    private func sealTemporary(_ fd: Int32, path: String) throws {
        guard fchmod(fd, 0o444) == 0 else { throw FileIO.ioError("cannot make read-only", path: path) }
        guard fsync(fd) == 0 else { throw FileIO.ioError("cannot flush to disk", path: path) }
    }

    /// Renames a sealed temporary file into `objects/`.
    ///
    /// An existing object with this name is replaced by the fresh copy (same bytes by construction),
    /// which also repairs one that was damaged in place. Concurrent publishers each rename a complete
    /// copy, so every one of them succeeds.
    private func commit(temporary: String, digest: ContentHash, size: Int64) throws -> ArtifactRef {
        let ref = ArtifactRef(digest: digest, size: size, kind: .file)
        let shardPath = objectsPath + "/" + shard(digest.hex)
        do {
            try FileIO.makeDirectory(shardPath)
            let destination = objectPath(digest)
            guard rename(temporary, destination) == 0 else {
                throw FileIO.ioError("cannot move a published object into place", path: destination)
            }
        } catch {
            unlink(temporary)
            throw error
        }
        AtomicFile.syncDirectory(shardPath)
        return ref
    }
}
