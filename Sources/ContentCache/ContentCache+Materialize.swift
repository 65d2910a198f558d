import Basics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ContentCache {
    /// Rehashes an artifact: the object for a file; the tree object and every entry for a directory.
    ///
    /// Does not quarantine anything (``verifyAll()`` and ``materialize(_:at:)`` do).
    /// - Returns: `true` when every byte matches its digest and size; `false` when something is
    ///   missing, damaged, or (for a directory) the tree object is malformed.
    /// - Throws: ``CacheError`` (`.io`) only when an existing object can't be read.
    public func verify(_ ref: ArtifactRef) throws -> Bool {
        switch ref.kind {
        case .file:
            return try isIntact(ref.digest, size: ref.size)
        case .directory:
            let data: Data
            do {
                data = try FileIO.readAll(objectPath(ref.digest))
            } catch CacheError.Code.missing {
                return false
            }
            guard ContentHash.of(data) == ref.digest, Int64(data.count) == ref.size,
                let tree = try? TreeManifest.parse(data, objectPath: objectPath(ref.digest))
            else { return false }
            for entry in tree.entries {
                guard try isIntact(entry.digest, size: entry.size) else { return false }
            }
            return true
        }
    }

    /// Whether the object named `digest` exists and hashes to its name with the given size.
    func isIntact(_ digest: ContentHash, size: Int64) throws -> Bool {
        do {
            let actual = try FileIO.hash(objectPath(digest))
            return actual.digest == digest && actual.size == size
        } catch CacheError.Code.missing {
            return false
        }
    }

    /// Copies a file artifact, or rebuilds a directory artifact, at `destination`, atomically.
    ///
    /// The result is built beside `destination` and renamed over it, so readers see the old content or
    /// the complete new one. Every byte is hashed as it is copied; on a mismatch the partial copy is
    /// deleted, the bad object is moved to `quarantine/`, and nothing is placed. Files are writable
    /// copies (0644, or 0755 for executable tree entries), never links into the cache.
    ///
    /// - Throws: ``CacheError`` — `.corrupt` (object quarantined; re-run the stage), `.missing`
    ///   (an object is gone), `.unsafePath` (a tree entry would leave the destination), `.io`.
    public func materialize(_ ref: ArtifactRef, at destination: URL) throws {
        let destinationPath = destination.standardizedFileURL.path
        let parent = (destinationPath as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectoryIfNeeded(atPath: parent)
        } catch {
            throw CacheError(.io, "cannot create folder", path: parent, remedy: "check its permissions", cause: error)
        }
        let staging = FileIO.uniqueName(in: parent, prefix: ".lunette-staging-")
        do {
            switch ref.kind {
            case .file:
                try copyVerified(ref.digest, size: ref.size, to: staging, executable: false)
            case .directory:
                let tree = try readTree(ref)
                try FileIO.makeDirectory(staging)
                for entry in tree.entries {
                    let path = staging + "/" + entry.path
                    try FileManager.default.createDirectoryIfNeeded(
                        atPath: (path as NSString).deletingLastPathComponent)
                    try copyVerified(entry.digest, size: entry.size, to: path, executable: entry.executable)
                }
            }
            try replace(destinationPath, with: staging, isFile: ref.kind == .file)
        } catch {
            FileIO.removeTree(staging)
            if var error = error as? CacheError {
                // Name the destination's folder, not the staging folder beside it.
                if let code = (error.cause as? POSIXError)?.code, code == .ENOSPC || code == .EDQUOT {
                    error.remedy = FileIO.fullDiskRemedy(parent)
                }
                throw error
            }
            throw CacheError(.io, "cannot materialize", path: destinationPath, remedy: "check its permissions", cause: error)
        }
    }

    /// Reads and verifies a tree object, quarantining it when its bytes don't match its name.
    func readTree(_ ref: ArtifactRef) throws -> TreeManifest {
        let path = objectPath(ref.digest)
        let data = try FileIO.readAll(path)
        guard ContentHash.of(data) == ref.digest, Int64(data.count) == ref.size else {
            try? quarantine(ref.digest)
            throw corruptError(ref.digest)
        }
        return try TreeManifest.parse(data, objectPath: path)
    }

    /// Copies one object to a new file at `path`, verifying its digest and size as it goes.
    private func copyVerified(_ digest: ContentHash, size: Int64, to path: String, executable: Bool) throws {
        let source = objectPath(digest)
        let input = try FileIO.openForReading(source)
        defer { close(input) }
        let mode: mode_t = executable ? 0o755 : 0o644
        let output = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard output >= 0 else { throw FileIO.ioError("cannot create", path: path) }
        defer { close(output) }
        let copied = try FileIO.copyHashing(from: input, sourcePath: source, to: output, destinationPath: path)
        guard copied.digest == digest, copied.size == size else {
            unlink(path)
            try? quarantine(digest)
            throw corruptError(digest)
        }
        guard fchmod(output, mode) == 0, fsync(output) == 0 else { throw FileIO.ioError("cannot finish", path: path) }
    }

    /// Moves the staged result into place: one atomic rename for a file over a file; otherwise the old
    /// item is moved aside first and deleted afterwards.
    private func replace(_ destination: String, with staging: String, isFile: Bool) throws {
        let parent = (destination as NSString).deletingLastPathComponent
        let existing = FileIO.linkStatus(destination)
        if existing == nil || (isFile && !(existing.map(FileIO.isDirectory) ?? false)) {
            guard rename(staging, destination) == 0 else { throw FileIO.ioError("cannot move into place", path: destination) }
        } else {
            let aside = FileIO.uniqueName(in: parent, prefix: ".lunette-old-")
            guard rename(destination, aside) == 0 else { throw FileIO.ioError("cannot move aside", path: destination) }
            guard rename(staging, destination) == 0 else {
                let code = errno
                rename(aside, destination)
                throw FileIO.ioError("cannot move into place", path: destination, errno: code)
            }
            FileIO.removeTree(aside)
        }
        AtomicFile.syncDirectory(parent)
    }

    func corruptError(_ digest: ContentHash) -> CacheError {
        CacheError(
            .corrupt, "object \(digest.short) does not match its digest and was moved to quarantine/",
            path: objectPath(digest), remedy: "re-run the stage that produced it (run 'lunette cache verify' to check the rest)")
    }
}
