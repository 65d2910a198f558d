import Foundation
import GRDB
import WorkflowModel

extension RunStore {
    /// Sets a run's lifecycle status, creating the row on first use; `created_at` is kept on updates.
    public func setRunStatus(project: String, run: String, status: RunStatus, reason: String?, at date: Date) throws {
        try write("record the status of \(project)/\(run)") { db in
            try db.execute(
                sql: """
                    INSERT INTO run (project, run, status, reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (project, run) DO UPDATE
                    SET status = excluded.status, reason = excluded.reason, updated_at = excluded.updated_at
                    """,
                arguments: [project, run, status.rawValue, reason, date, date])
        }
    }

    /// Every run's status, sorted by project then run.
    /// - Throws: ``StoreError`` (`.invalidRow` when a status is not a known ``RunStatus``).
    public func runStatuses() throws -> [RunStatusRecord] {
        let path = path
        return try read("read run statuses") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM run ORDER BY project, run").map { row in
                let project: String = row["project"]
                let run: String = row["run"]
                let text: String = row["status"]
                guard let status = RunStatus(rawValue: text) else {
                    throw StoreError(
                        .invalidRow, "run \(project)/\(run) has the unknown status '\(text)'", path: path,
                        remedy: "upgrade Lunette, or set the run's status again with a known value")
                }
                return RunStatusRecord(
                    project: project, run: run, status: status, reason: row["reason"], createdAt: row["created_at"],
                    updatedAt: row["updated_at"])
            }
        }
    }
}
