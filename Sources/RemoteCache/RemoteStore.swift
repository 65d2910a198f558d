import Foundation

/// Where a remote cache keeps its objects: a shared folder (``FolderRemote``) or an S3-compatible
/// bucket (``S3Remote``). Keys are `/`-separated paths under the remote's prefix
/// (`objects/ab/abcd…`, `actions/ab/abcd….json`); the caller verifies every byte it downloads.
public protocol RemoteStore: Sendable {
    /// The remote as the user wrote it (`s3://bucket/prefix`, a folder path): never a credential.
    var description: String { get }
    /// Whether `key` exists.
    func exists(_ key: String) async throws -> Bool
    /// Downloads `key` to `destination` (replacing it); `false` when the remote has no such key.
    func download(_ key: String, to destination: URL) async throws -> Bool
    /// Uploads the file at `source` as `key`, so that a reader sees all of it or nothing.
    /// - Parameter sha256: the file's SHA-256 in hex when known (S3 signs it), else it is computed.
    func upload(_ source: URL, as key: String, sha256: String?) async throws
    /// Releases connections.
    func shutDown() async
}

/// A folder shared over NFS or similar (`file:///path` or a plain path).
///
/// Uploads are written to a unique temporary file beside their place and renamed over it, so two
/// clones pushing the same object at once both succeed and a reader never sees half a file.
public struct FolderRemote: RemoteStore {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public var description: String { root.path }

    public func exists(_ key: String) async throws -> Bool {
        FileManager.default.fileExists(atPath: root.appendingPathComponent(key).path)
    }

    public func download(_ key: String, to destination: URL) async throws -> Bool {
        let source = root.appendingPathComponent(key)
        guard FileManager.default.fileExists(atPath: source.path) else { return false }
        try? FileManager.default.removeItem(at: destination)
        do {
            try FileManager.default.copyItem(at: source, to: destination)
        } catch {
            throw RemoteError(.io, "cannot read \(source.path): \(error.localizedDescription)", remedy: "check that the shared folder is mounted and readable")
        }
        return true
    }

    public func upload(_ source: URL, as key: String, sha256: String?) async throws {
        let target = root.appendingPathComponent(key)
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".tmp-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source, to: temporary)
            if rename(temporary.path, target.path) != 0 {
                throw RemoteError(.io, "cannot rename into \(target.path) (errno \(errno))")
            }
        } catch let error as RemoteError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw RemoteError(.io, "cannot write \(target.path): \(error.localizedDescription)", remedy: "check that the shared folder is mounted and writable")
        }
    }

    public func shutDown() async {}
}
