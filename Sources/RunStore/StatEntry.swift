import Basics

/// One row of the `stat_cache` table: a file's `stat` fields and the digest they vouch for.
///
/// When a file's size, mtime, ctime and inode still equal the recorded ones, its digest is reused
/// instead of rereading the file, unless the entry is *racy*: git's rule (see `Documentation/technical/racy-git.txt`).
/// A file modified within the file system's timestamp granularity of the moment it was recorded
/// could change again without its mtime changing, so such an entry is never trusted and the file is
/// rehashed. We use a window of 2 s, enough for the coarsest common granularity (FAT's 2 s).
///
/// ```swift
/// if let entry = entries[path], entry.matches(size: s.size, mtimeNs: s.mtime, ctimeNs: s.ctime, inode: s.inode) {
///     digest = entry.digest                      // unchanged and not racy
/// }
/// ```
public struct StatEntry: Hashable, Sendable {
    /// The racy window in nanoseconds: entries recorded less than this after the file's mtime are not trusted.
    public static let racyWindowNs: Int64 = 2_000_000_000

    /// Workspace-relative path.
    public var path: String
    public var size: Int64
    public var mtimeNs: Int64
    public var ctimeNs: Int64
    public var inode: UInt64
    public var digest: ContentHash
    /// When the digest was computed, in nanoseconds since 1970 (from the caller's clock).
    public var recordedAtNs: Int64

    public init(
        path: String, size: Int64, mtimeNs: Int64, ctimeNs: Int64, inode: UInt64, digest: ContentHash,
        recordedAtNs: Int64
    ) {
        self.path = path
        self.size = size
        self.mtimeNs = mtimeNs
        self.ctimeNs = ctimeNs
        self.inode = inode
        self.digest = digest
        self.recordedAtNs = recordedAtNs
    }

    /// Whether a file with these `stat` fields can reuse ``digest``: every field equals the recorded
    /// one and the entry is not racy.
    public func matches(size: Int64, mtimeNs: Int64, ctimeNs: Int64, inode: UInt64) -> Bool {
        self.size == size && self.mtimeNs == mtimeNs && self.ctimeNs == ctimeNs && self.inode == inode && !isRacy
    }

    /// Whether this entry was recorded too soon after the file's last modification to be trusted.
    public var isRacy: Bool { Self.isRacy(mtimeNs: mtimeNs, recordedAtNs: recordedAtNs) }

    /// Git's racy-timestamp rule: `true` when `recordedAtNs − mtimeNs` is under ``racyWindowNs``
    /// (including an mtime in the future of the recording).
    public static func isRacy(mtimeNs: Int64, recordedAtNs: Int64) -> Bool {
        let (gap, overflow) = recordedAtNs.subtractingReportingOverflow(mtimeNs)
        return overflow || gap < racyWindowNs
    }
}
