import Foundation
import GRDB

extension RunStore {
    /// Records the start of a stage execution with outcome `running`.
    /// - Parameters:
    ///   - stageID: `project/run/stage`.
    ///   - key: The action key (`sha256:…`), when it could be computed.
    ///   - reason: Why it runs or is skipped, as a sentence.
    ///   - action: `run` or `skip`.
    /// - Returns: The new stage execution's id.
    public func beginStage(
        invocation: Int64, stageID: String, task: String, key: String?, reason: String, action: String, at date: Date
    ) throws -> Int64 {
        try write("record stage \(stageID)") { db in
            try db.execute(
                sql: """
                    INSERT INTO stage_execution (invocation_id, stage_id, task, action_key, reason, action, started_at,
                                                 outcome, outputs, log_tail)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'running', '{}', '')
                    """,
                arguments: [invocation, stageID, task, key, reason, action, date])
            return db.lastInsertedRowID
        }
    }

    /// Records how a stage execution ended.
    /// - Parameters:
    ///   - outcome: `succeeded`, `failed`, `cancelled`, `skipped`, `reused`, `not-available` or `interrupted`.
    ///   - outputs: Output name → `sha256:…`.
    ///   - logTail: The log's last lines; only the last ``logTailLimit`` are kept.
    /// - Throws: ``StoreError`` (`.notFound` for an unknown id).
    public func finishStage(
        _ id: Int64, outcome: String, duration: Double, error: String?, summary: String?, outputs: [String: String],
        logTail: [String]
    ) throws {
        let outputsText = try Self.jsonText(outputs)
        let tail = logTail.suffix(Self.logTailLimit).joined(separator: "\n")
        try write("record the end of stage execution \(id)") { db in
            try db.execute(
                sql: """
                    UPDATE stage_execution SET outcome = ?, duration_seconds = ?, error = ?, summary = ?, outputs = ?,
                                               log_tail = ?
                    WHERE id = ?
                    """,
                arguments: [outcome, duration, error, summary, outputsText, tail, id])
            if db.changesCount == 0 { throw notFound("stage execution", id) }
        }
    }

    /// The latest execution of each stage of a project (or of one run), sorted by stage id.
    ///
    /// "Latest" is the most recently begun (highest id), whatever its outcome.
    public func latestExecutions(project: String, run: String?) throws -> [StageExecutionRecord] {
        let prefix = run.map { "\(project)/\($0)/" } ?? "\(project)/"
        return try read("read the latest stage executions") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM stage_execution WHERE id IN (
                        SELECT MAX(id) FROM stage_execution WHERE substr(stage_id, 1, ?) = ? GROUP BY stage_id)
                    ORDER BY stage_id
                    """,
                arguments: [prefix.unicodeScalars.count, prefix]
            ).map(Self.stageExecution)
        }
    }

    /// Every stage execution of one invocation, in the order they began.
    public func executions(invocation: Int64) throws -> [StageExecutionRecord] {
        try read("read the stage executions of invocation \(invocation)") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM stage_execution WHERE invocation_id = ? ORDER BY id", arguments: [invocation]
            ).map(Self.stageExecution)
        }
    }

    static func stageExecution(_ row: Row) -> StageExecutionRecord {
        let tail: String = row["log_tail"]
        return StageExecutionRecord(
            id: row["id"], invocationID: row["invocation_id"], stageID: row["stage_id"], task: row["task"],
            actionKey: row["action_key"], reason: row["reason"], action: row["action"], startedAt: row["started_at"],
            duration: row["duration_seconds"], outcome: row["outcome"], error: row["error"], summary: row["summary"],
            outputs: (try? decodeJSON([String: String].self, row["outputs"])) ?? [:],
            logTail: tail.isEmpty ? [] : tail.components(separatedBy: "\n"))
    }
}
