import Basics
import Foundation
import GRDB

/// The SQLite history of a workspace: invocations, stage executions, run statuses and the stat cache.
///
/// The store answers "what happened?" (``ContentCache`` in its own module answers "can I skip this?").
/// Open it once per process (GRDB's rule 1) and share the instance: it is `Sendable`, writes are
/// serialized through it, and each multi-row change is one transaction, so a SIGKILL at any moment
/// leaves the database consistent. A second process waits up to ``busyTimeout`` for the write lock.
/// Dates are always passed in by the caller; the store never reads the clock.
///
/// ```swift
/// let store = try RunStore(path: URL(fileURLWithPath: "cache/lunette.sqlite"))
/// _ = try store.markInterrupted(at: now)          // under the workspace lock
/// let invocation = try store.beginInvocation(command: "lunette run", pid: getpid(), at: now)
/// let stage = try store.beginStage(invocation: invocation, stageID: "support/tox/load", task: "load-dataset",
///                                  key: key.description, reason: "never run", action: "run", at: now)
/// try store.finishStage(stage, outcome: "succeeded", duration: 0.4, error: nil, summary: "812 rows",
///                       outputs: ["rows": digest.description], logTail: [])
/// ```
///
/// ## Schema (migration "v1: invocations, stage executions, runs, stat cache")
/// ```sql
/// invocation(id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL, pid INTEGER NOT NULL,
///            started_at DATETIME NOT NULL, finished_at DATETIME,
///            outcome TEXT NOT NULL,           -- running|succeeded|failed|cancelled|interrupted
///            stats TEXT NOT NULL)             -- JSON object {"failed":0,"ran":3,"reused":5}
/// stage_execution(id INTEGER PRIMARY KEY AUTOINCREMENT,
///            invocation_id INTEGER NOT NULL REFERENCES invocation(id) ON DELETE CASCADE,
///            stage_id TEXT NOT NULL,          -- project/run/stage
///            task TEXT NOT NULL, action_key TEXT, reason TEXT NOT NULL,
///            action TEXT NOT NULL,            -- run|skip
///            started_at DATETIME NOT NULL, duration_seconds DOUBLE,
///            outcome TEXT NOT NULL,           -- running|succeeded|failed|cancelled|skipped|reused|not-available|interrupted
///            error TEXT, summary TEXT,
///            outputs TEXT NOT NULL,           -- JSON object name → "sha256:…"
///            log_tail TEXT NOT NULL)          -- last ≤ 50 lines, joined with "\n"
/// run(project TEXT NOT NULL, run TEXT NOT NULL, status TEXT NOT NULL,  -- RunStatus raw values
///            reason TEXT, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL,
///            PRIMARY KEY (project, run))
/// stat_cache(path TEXT PRIMARY KEY,           -- workspace-relative
///            size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
///            inode INTEGER NOT NULL,          -- UInt64 bit pattern
///            digest TEXT NOT NULL,            -- sha256:…
///            recorded_at_ns INTEGER NOT NULL)
/// -- indexes: stage_execution(stage_id, id), stage_execution(invocation_id), invocation(started_at)
/// ```
/// `DATETIME` columns hold GRDB's UTC text form `YYYY-MM-DD HH:MM:SS.SSS` (millisecond precision,
/// sortable, readable in the `sqlite3` shell). GRDB's `grdb_migrations` table records the applied
/// migrations; ``schemaVersion`` is the last one.
///
/// Design constraints: migrations are named and only ever appended (never edit one); the file uses
/// WAL so readers never block the writer; outcomes are free text rather than `CHECK` constraints, so
/// a new outcome needs no table rebuild. Rejected: one JSON file per invocation (no queries across
/// invocations, no atomic multi-row updates) and storing the stat cache in the content cache (it is
/// per workspace, the cache is shared).
///
/// ## Topics
/// ### Opening
/// - ``init(path:)``, ``inMemory()``, ``close()``, ``schemaVersion``, ``integrityCheck()``
/// ### Invocations
/// - ``beginInvocation(command:pid:at:)``, ``finishInvocation(_:outcome:stats:at:)``,
///   ``markInterrupted(at:)``, ``recentInvocations(limit:)``, ``actionKeysUsed(since:)``
/// ### Stage executions
/// - ``beginStage(invocation:stageID:task:key:reason:action:at:)``,
///   ``finishStage(_:outcome:duration:error:summary:outputs:logTail:)``,
///   ``latestExecutions(project:run:)``, ``executions(invocation:)``
/// ### Run statuses
/// - ``setRunStatus(project:run:status:reason:at:)``, ``runStatuses()``
/// ### Stat cache
/// - ``statEntries()``, ``saveStatEntries(_:)``, ``removeStatEntries(paths:)``, ``StatEntry``
public final class RunStore: Sendable {
    /// How long a write waits for another process holding the database before failing with
    /// ``StoreError/Code/busy``.
    public static let busyTimeout: TimeInterval = 30
    /// How many log lines ``finishStage(_:outcome:duration:error:summary:outputs:logTail:)`` keeps.
    public static let logTailLimit = 50

    /// The database file, or `:memory:`.
    public let path: String
    /// The last applied migration's name, e.g. `v1: invocations, stage executions, runs, stat cache`.
    public let schemaVersion: String
    let writer: any DatabaseWriter

    /// Opens (creating it and its folder if needed) the store at `path` and applies pending migrations.
    /// - Throws: ``StoreError`` — `.newerSchema` when a newer Lunette migrated the file, `.corrupt`,
    ///   `.busy`, `.database`.
    public init(path: URL) throws {
        let filePath = path.standardizedFileURL.path
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.label = "RunStore"
        do {
            try FileManager.default.createDirectoryIfNeeded(atPath: (filePath as NSString).deletingLastPathComponent)
            let pool = try DatabasePool(path: filePath, configuration: configuration)
            schemaVersion = try Self.migrate(pool, path: filePath)
            writer = pool
        } catch {
            throw StoreError.wrapping(error, "cannot open the run store", path: filePath)
        }
        self.path = filePath
    }

    /// A private, empty store in memory, for tests and dry runs.
    public static func inMemory() throws -> RunStore { try RunStore(memory: ()) }

    private init(memory: ()) throws {
        path = ":memory:"
        do {
            let queue = try DatabaseQueue()
            schemaVersion = try Self.migrate(queue, path: path)
            writer = queue
        } catch {
            throw StoreError.wrapping(error, "cannot create an in-memory store", path: ":memory:")
        }
    }

    /// Closes the database connections; later calls fail with ``StoreError``.
    ///
    /// Optional: the connections also close when the store is deallocated. Closing checkpoints the
    /// WAL so the `-wal` file is folded back into the database.
    public func close() throws {
        do {
            try writer.close()
        } catch {
            throw StoreError.wrapping(error, "cannot close the run store", path: path)
        }
    }

    /// `PRAGMA integrity_check`: `["ok"]` when the file is sound, otherwise SQLite's findings.
    public func integrityCheck() throws -> [String] {
        try read("check the store's integrity") { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check")
        }
    }

    // MARK: Access

    /// Runs `body` in one IMMEDIATE transaction, wrapping failures in ``StoreError``.
    func write<T>(_ what: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.write(body)
        } catch {
            throw StoreError.wrapping(error, "cannot \(what)", path: path)
        }
    }

    /// Runs `body` on a read-only snapshot, wrapping failures in ``StoreError``.
    func read<T>(_ what: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.read(body)
        } catch {
            throw StoreError.wrapping(error, "cannot \(what)", path: path)
        }
    }

    static func migrate(_ writer: any DatabaseWriter, path: String) throws -> String {
        let migrator = Schema.migrator
        let superseded = try writer.read { db in try migrator.hasBeenSuperseded(db) }
        if superseded {
            throw StoreError(
                .newerSchema, "the run store was created by a newer Lunette", path: path,
                remedy: "upgrade Lunette, or move this file aside to start a fresh history")
        }
        do {
            try migrator.migrate(writer)
        } catch {
            // Another process may have applied the same migration between our check and our write.
            try migrator.migrate(writer)
        }
        return try writer.read { db in try migrator.appliedMigrations(db).last } ?? "none"
    }
}
