/// What ``ContentCache/collectGarbage(keepingRecords:dryRun:staleBefore:)`` kept and removed, and why.
///
/// Items are sorted by path, so the report is deterministic.
public struct GarbageReport: Hashable, Sendable {
    /// One file the collection looked at.
    public struct Item: Hashable, Sendable {
        /// What the file is.
        public enum Kind: String, Hashable, Sendable {
            case record, object, temporary, quarantined
        }
        public var kind: Kind
        /// The path relative to the cache root, e.g. `objects/ab/abcd…`.
        public var path: String
        public var bytes: Int64
        /// Why it was kept or removed, e.g. "reachable from a kept record", "unreachable".
        public var reason: String

        public init(kind: Kind, path: String, bytes: Int64, reason: String) {
            self.kind = kind
            self.path = path
            self.bytes = bytes
            self.reason = reason
        }
    }

    /// Whether this was a dry run (nothing was removed; ``removed`` lists what would be).
    public var isDryRun: Bool
    public var kept: [Item]
    public var removed: [Item]
    /// The other workspaces sharing the cache whose needs were kept too (their paths; filled in by
    /// the caller that knows them).
    public var sharedWith: [String] = []

    public init(isDryRun: Bool, kept: [Item], removed: [Item]) {
        self.isDryRun = isDryRun
        self.kept = kept.sorted { $0.path < $1.path }
        self.removed = removed.sorted { $0.path < $1.path }
    }

    public var keptBytes: Int64 { kept.reduce(0) { $0 + $1.bytes } }
    public var removedBytes: Int64 { removed.reduce(0) { $0 + $1.bytes } }

    /// How many items were removed for each reason, sorted by reason.
    public var removedByReason: [(reason: String, count: Int, bytes: Int64)] {
        Dictionary(grouping: removed, by: \.reason).map { reason, items in
            (reason, items.count, items.reduce(0) { $0 + $1.bytes })
        }.sorted { $0.reason < $1.reason }
    }
}
