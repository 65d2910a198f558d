import Foundation
import GRDB

extension RunStore {
    /// Records the start of an invocation with outcome `running`.
    /// - Parameter command: The argv joined with spaces. Never pass the environment.
    /// - Returns: The new invocation's id.
    public func beginInvocation(command: String, pid: Int32, at date: Date) throws -> Int64 {
        try write("record the invocation") { db in
            try db.execute(
                sql: "INSERT INTO invocation (command, pid, started_at, outcome, stats) VALUES (?, ?, ?, 'running', '{}')",
                arguments: [command, pid, date])
            return db.lastInsertedRowID
        }
    }

    /// Records how an invocation ended.
    /// - Parameters:
    ///   - outcome: `succeeded`, `failed`, `cancelled` or `interrupted`.
    ///   - stats: Counts such as `ran`, `reused`, `failed`.
    /// - Throws: ``StoreError`` (`.notFound` for an unknown id).
    public func finishInvocation(_ id: Int64, outcome: String, stats: [String: Int], at date: Date) throws {
        let statsText = try Self.jsonText(stats)
        try write("record the end of invocation \(id)") { db in
            try db.execute(
                sql: "UPDATE invocation SET outcome = ?, stats = ?, finished_at = ? WHERE id = ?",
                arguments: [outcome, statsText, date, id])
            if db.changesCount == 0 { throw notFound("invocation", id) }
        }
    }

    /// Marks every invocation and stage execution still `running` as `interrupted`, in one transaction.
    ///
    /// Call it while holding the workspace lock: then nothing recorded as running is alive, so those
    /// rows belong to killed processes. Interrupted invocations get `finished_at = date`.
    /// - Returns: How many invocations were marked.
    public func markInterrupted(at date: Date) throws -> Int {
        try write("mark interrupted invocations") { db in
            try db.execute(
                sql: "UPDATE invocation SET outcome = 'interrupted', finished_at = ? WHERE outcome = 'running'",
                arguments: [date])
            let invocations = db.changesCount
            try db.execute(sql: "UPDATE stage_execution SET outcome = 'interrupted' WHERE outcome = 'running'")
            return invocations
        }
    }

    /// The most recent invocations, newest first.
    public func recentInvocations(limit: Int) throws -> [InvocationRecord] {
        try read("read recent invocations") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM invocation ORDER BY id DESC LIMIT ?", arguments: [max(0, limit)])
                .map { row in
                    InvocationRecord(
                        id: row["id"], command: row["command"], pid: row["pid"], startedAt: row["started_at"],
                        finishedAt: row["finished_at"], outcome: row["outcome"],
                        stats: (try? Self.decodeJSON([String: Int].self, row["stats"])) ?? [:])
                }
        }
    }

    /// The distinct action keys of stage executions in invocations started at or after `date`
    /// (the records a cache garbage collection keeps).
    public func actionKeysUsed(since date: Date) throws -> Set<String> {
        try read("read recent action keys") { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT DISTINCT s.action_key FROM stage_execution s JOIN invocation i ON i.id = s.invocation_id
                        WHERE i.started_at >= ? AND s.action_key IS NOT NULL
                        """,
                    arguments: [date]))
        }
    }

    // MARK: Helpers

    func notFound(_ table: String, _ id: Int64) -> StoreError {
        StoreError(
            .notFound, "no \(table) with id \(id)", path: path,
            remedy: "pass the id returned when it was begun (this is a bug in the caller)")
    }

    /// Sorted-key JSON text, so equal values give equal text.
    static func jsonText(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
