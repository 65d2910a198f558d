import Basics
import Foundation
import GRDB

extension RunStore {
    /// Every stat-cache entry, keyed by workspace-relative path, in one query.
    ///
    /// Rows with an unreadable digest are left out (the file is simply rehashed).
    public func statEntries() throws -> [String: StatEntry] {
        try read("read the stat cache") { db in
            var entries: [String: StatEntry] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM stat_cache")
            while let row = try rows.next() {
                let digestText: String = row["digest"]
                guard let digest = ContentHash(parsing: digestText) else { continue }
                let inode: Int64 = row["inode"]
                let entry = StatEntry(
                    path: row["path"], size: row["size"], mtimeNs: row["mtime_ns"], ctimeNs: row["ctime_ns"],
                    inode: UInt64(bitPattern: inode), digest: digest, recordedAtNs: row["recorded_at_ns"])
                entries[entry.path] = entry
            }
            return entries
        }
    }

    /// Inserts or replaces stat-cache entries, all in one transaction.
    public func saveStatEntries(_ entries: [StatEntry]) throws {
        guard !entries.isEmpty else { return }
        try write("save \(entries.count) stat cache entries") { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO stat_cache (path, size, mtime_ns, ctime_ns, inode, digest, recorded_at_ns)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                        ctime_ns = excluded.ctime_ns, inode = excluded.inode, digest = excluded.digest,
                        recorded_at_ns = excluded.recorded_at_ns
                    """)
            for entry in entries {
                try statement.execute(arguments: [
                    entry.path, entry.size, entry.mtimeNs, entry.ctimeNs, Int64(bitPattern: entry.inode),
                    entry.digest.description, entry.recordedAtNs,
                ])
            }
        }
    }

    /// Removes the stat-cache entries for `paths`, in one transaction; unknown paths are ignored.
    public func removeStatEntries(paths: [String]) throws {
        guard !paths.isEmpty else { return }
        try write("remove \(paths.count) stat cache entries") { db in
            let statement = try db.makeStatement(sql: "DELETE FROM stat_cache WHERE path = ?")
            for path in paths { try statement.execute(arguments: [path]) }
        }
    }
}
