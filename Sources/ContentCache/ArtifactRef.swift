import Basics

/// A reference to an immutable artifact in the ``ContentCache``: its digest, size and kind.
///
/// For a ``Kind/file`` the digest and size are the file's own. For a ``Kind/directory`` they are those
/// of the directory's *tree object*, the canonical JSON list of its files (see ``ContentCache``), so a
/// directory is named by one digest just like a file.
///
/// Encoded as `{"digest":"sha256:…","kind":"file","size":1234}`.
public struct ArtifactRef: Codable, Hashable, Sendable {
    /// Whether an artifact is one file or a directory tree.
    public enum Kind: String, Codable, Hashable, Sendable {
        case file
        case directory
    }

    /// The digest of the file, or of the tree object for a directory.
    public var digest: ContentHash
    /// The size in bytes of the file, or of the tree object for a directory.
    public var size: Int64
    /// Whether this is a file or a directory.
    public var kind: Kind

    public init(digest: ContentHash, size: Int64, kind: Kind) {
        self.digest = digest
        self.size = size
        self.kind = kind
    }
}
