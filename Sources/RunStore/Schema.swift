import GRDB

/// The store's migrations. Append new ones; never edit or reorder an existing one.
enum Schema {
    static let v1 = "v1: invocations, stage executions, runs, stat cache"
    static let v2 = "v2: registry of metrics and aliases"
    static let v3 = "v3: state generation"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(v1) { db in
            try db.execute(
                sql: """
                    CREATE TABLE invocation (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        command TEXT NOT NULL,
                        pid INTEGER NOT NULL,
                        started_at DATETIME NOT NULL,
                        finished_at DATETIME,
                        outcome TEXT NOT NULL,
                        stats TEXT NOT NULL DEFAULT '{}');
                    CREATE INDEX invocation_started_at ON invocation(started_at);
                    CREATE TABLE stage_execution (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        invocation_id INTEGER NOT NULL REFERENCES invocation(id) ON DELETE CASCADE,
                        stage_id TEXT NOT NULL,
                        task TEXT NOT NULL,
                        action_key TEXT,
                        reason TEXT NOT NULL,
                        action TEXT NOT NULL,
                        started_at DATETIME NOT NULL,
                        duration_seconds DOUBLE,
                        outcome TEXT NOT NULL,
                        error TEXT,
                        summary TEXT,
                        outputs TEXT NOT NULL DEFAULT '{}',
                        log_tail TEXT NOT NULL DEFAULT '');
                    CREATE INDEX stage_execution_stage ON stage_execution(stage_id, id);
                    CREATE INDEX stage_execution_invocation ON stage_execution(invocation_id);
                    CREATE TABLE run (
                        project TEXT NOT NULL,
                        run TEXT NOT NULL,
                        status TEXT NOT NULL,
                        reason TEXT,
                        created_at DATETIME NOT NULL,
                        updated_at DATETIME NOT NULL,
                        PRIMARY KEY (project, run));
                    CREATE TABLE stat_cache (
                        path TEXT PRIMARY KEY NOT NULL,
                        size INTEGER NOT NULL,
                        mtime_ns INTEGER NOT NULL,
                        ctime_ns INTEGER NOT NULL,
                        inode INTEGER NOT NULL,
                        digest TEXT NOT NULL,
                        recorded_at_ns INTEGER NOT NULL);
                    """)
        }
        migrator.registerMigration(v2) { db in
            try db.execute(
                sql: """
                    CREATE TABLE registered_metric (
                        name TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        model_digest TEXT NOT NULL,
                        report_digest TEXT,
                        project TEXT NOT NULL,
                        run TEXT NOT NULL,
                        manifest_digest TEXT,
                        summary TEXT NOT NULL DEFAULT '{}',
                        registered_at DATETIME NOT NULL,
                        PRIMARY KEY (name, version),
                        UNIQUE (name, model_digest));
                    CREATE TABLE metric_alias (
                        name TEXT NOT NULL,
                        alias TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        updated_at DATETIME NOT NULL,
                        PRIMARY KEY (name, alias),
                        FOREIGN KEY (name, version) REFERENCES registered_metric(name, version));
                    """)
        }
        // A counter that every change to what a run's plan depends on (run statuses, the registry)
        // moves, and the history (invocations, stage executions) and the stat cache do not: the
        // up-to-date stamp of `lunette run` holds only while it is unchanged. It starts at a random
        // value, so that another store put in this one's place (a backup, another clone's) differs.
        migrator.registerMigration(v3) { db in
            // Each table's inserts, deletes and updates move it; a run's update only when its status
            // or reason changes (setting the same status again just touches updated_at).
            let watched = [
                ("run", "OLD.status IS NOT NEW.status OR OLD.reason IS NOT NEW.reason"),
                ("registered_metric", nil), ("metric_alias", nil),
            ]
            var sql = """
                CREATE TABLE state_generation (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    value INTEGER NOT NULL);
                INSERT INTO state_generation (id, value) VALUES (1, abs(random() % 4611686018427387904));

                """
            for (table, changed) in watched {
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    let when = event == "UPDATE" ? changed.map { " WHEN \($0)" } ?? "" : ""
                    sql += "CREATE TRIGGER \(table)_\(event.lowercased())_generation AFTER \(event) ON \(table)\(when)\n"
                        + "BEGIN UPDATE state_generation SET value = value + 1; END;\n"
                }
            }
            try db.execute(sql: sql)
        }
        return migrator
    }
}
