import Foundation
import GRDB

extension RunStore {
    /// Registers a model under `name`: a new version `n+1`, or the existing version when this
    /// model digest is already registered under that name (registering twice is idempotent).
    /// - Returns: the registered version and whether it is new.
    public func register(
        name: String, modelDigest: String, reportDigest: String?, project: String, run: String,
        manifestDigest: String?, summary: String, at date: Date
    ) throws -> (metric: RegisteredMetric, isNew: Bool) {
        try write("register metric \(name)") { db in
            if let row = try Row.fetchOne(
                db, sql: "SELECT * FROM registered_metric WHERE name = ? AND model_digest = ?",
                arguments: [name, modelDigest])
            {
                return (try Self.metric(row, db), false)
            }
            let next = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM registered_metric WHERE name = ?", arguments: [name]) ?? 0) + 1
            try db.execute(
                sql: """
                    INSERT INTO registered_metric
                    (name, version, model_digest, report_digest, project, run, manifest_digest, summary, registered_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [name, next, modelDigest, reportDigest, project, run, manifestDigest, summary, date])
            let metric = RegisteredMetric(
                name: name, version: next, modelDigest: modelDigest, reportDigest: reportDigest, project: project,
                run: run, manifestDigest: manifestDigest, summary: summary, registeredAt: date)
            return (metric, true)
        }
    }

    /// Every registered version, sorted by name then version.
    public func registeredMetrics() throws -> [RegisteredMetric] {
        try read("list registered metrics") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM registered_metric ORDER BY name, version").map { try Self.metric($0, db) }
        }
    }

    /// Resolves `name`, `name@3` or `name@alias` (`name` alone is the latest version).
    /// - Returns: `nil` when nothing matches.
    public func resolveMetric(_ reference: String) throws -> RegisteredMetric? {
        let parts = reference.split(separator: "@", maxSplits: 1).map(String.init)
        let name = parts[0]
        return try read("resolve metric \(reference)") { db in
            let row: Row?
            if parts.count == 1 {
                row = try Row.fetchOne(
                    db, sql: "SELECT * FROM registered_metric WHERE name = ? ORDER BY version DESC LIMIT 1", arguments: [name])
            } else if let version = Int(parts[1]) {
                row = try Row.fetchOne(
                    db, sql: "SELECT * FROM registered_metric WHERE name = ? AND version = ?", arguments: [name, version])
            } else {
                row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT m.* FROM registered_metric m JOIN metric_alias a ON a.name = m.name AND a.version = m.version
                        WHERE a.name = ? AND a.alias = ?
                        """,
                    arguments: [name, parts[1]])
            }
            return try row.map { try Self.metric($0, db) }
        }
    }

    /// Points `alias` of `name` at `version` (moving it if it pointed elsewhere).
    /// - Throws: ``StoreError`` `.notFound` when `name@version` is not registered.
    public func setAlias(_ alias: String, name: String, version: Int, at date: Date) throws {
        try write("set alias \(name)@\(alias)") { db in
            guard try Int.fetchOne(
                db, sql: "SELECT version FROM registered_metric WHERE name = ? AND version = ?", arguments: [name, version]) != nil
            else {
                throw StoreError(
                    .notFound, "\(name)@\(version) is not registered", path: path,
                    remedy: "`lunette registry list` shows the registered versions")
            }
            try db.execute(
                sql: """
                    INSERT INTO metric_alias (name, alias, version, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
                    """,
                arguments: [name, alias, version, date])
        }
    }

    /// Replaces every registered version and alias with `metrics` (each with its `aliases`), in one
    /// transaction: how the store is rebuilt from the committed registry file.
    /// - Throws: ``StoreError`` when `metrics` names a version twice or one model twice under a name
    ///   (the registry file's checks catch both first).
    public func replaceRegistry(with metrics: [RegisteredMetric], at date: Date) throws {
        try write("rebuild the registry from the registry file") { db in
            try db.execute(sql: "DELETE FROM metric_alias")
            try db.execute(sql: "DELETE FROM registered_metric")
            for metric in metrics {
                try db.execute(
                    sql: """
                        INSERT INTO registered_metric
                        (name, version, model_digest, report_digest, project, run, manifest_digest, summary, registered_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        metric.name, metric.version, metric.modelDigest, metric.reportDigest, metric.project, metric.run,
                        metric.manifestDigest, metric.summary, metric.registeredAt,
                    ])
                for alias in metric.aliases {
                    try db.execute(
                        sql: "INSERT INTO metric_alias (name, alias, version, updated_at) VALUES (?, ?, ?, ?)",
                        arguments: [metric.name, alias, metric.version, date])
                }
            }
        }
    }

    static func metric(_ row: Row, _ db: Database) throws -> RegisteredMetric {
        let name: String = row["name"]
        let version: Int = row["version"]
        let aliases = try String.fetchAll(
            db, sql: "SELECT alias FROM metric_alias WHERE name = ? AND version = ? ORDER BY alias", arguments: [name, version])
        return RegisteredMetric(
            name: name, version: version, modelDigest: row["model_digest"], reportDigest: row["report_digest"],
            project: row["project"], run: row["run"], manifestDigest: row["manifest_digest"], summary: row["summary"],
            registeredAt: row["registered_at"], aliases: aliases)
    }
}
