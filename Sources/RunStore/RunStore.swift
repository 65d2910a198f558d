import Basics
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

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
/// Migration "v2: registry of metrics and aliases" adds `registered_metric` and `metric_alias`;
/// "v3: state generation" adds `state_generation(id = 1, value)`, moved by triggers on `run` (a
/// changed status or reason), `registered_metric` and `metric_alias` (``stateGeneration()``).
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
/// - ``init(path:)``, ``openForReading(at:)``, ``inMemory()``, ``close()``, ``schemaVersion``, ``integrityCheck()``
/// ### Invocations
/// - ``beginInvocation(command:pid:at:)``, ``finishInvocation(_:outcome:stats:at:)``,
///   ``markInterrupted(at:)``, ``recentInvocations(limit:)``, ``actionKeysUsed(since:)``
/// ### Stage executions
/// - ``beginStage(invocation:stageID:task:key:reason:action:at:)``,
///   ``finishStage(_:outcome:duration:error:summary:outputs:logTail:)``,
///   ``latestExecutions(project:run:)``, ``executions(invocation:)``
/// ### Run statuses
/// - ``setRunStatus(project:run:status:reason:at:)``, ``runStatuses()``, ``stateGeneration()``
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
    /// Whether the store was opened read-only by ``openForReading(at:)``: every write then throws
    /// ``StoreError`` (`.database`) without touching the file.
    public let isReadOnly: Bool
    let writer: any DatabaseWriter
    /// The private copy a read-only store reads when the file itself can't be (see ``openForReading(at:)``).
    private let snapshotFolder: URL?

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
        isReadOnly = false
        snapshotFolder = nil
    }

    /// Opens the store for a command that only reads it (`status`, `plan`, `check`, `show`, `score`).
    ///
    /// Where the file, its folder and any `-wal`/`-shm` beside it can be written, this is
    /// ``init(path:)`` (pending migrations are applied, the stat cache is kept). Otherwise — a
    /// read-only `cache/` or file system — the store is opened read-only (``isReadOnly``): SQLite
    /// reads a WAL database read-only only when its `-shm` exists or can be created, and cannot
    /// migrate it, so when that fails the file (and its `-wal`) is copied to a private temporary
    /// folder and read there (removed with the store). A store that does not exist reads as empty.
    /// - Throws: ``StoreError`` — `.corrupt`, `.newerSchema`, `.database`.
    public static func openForReading(at path: URL) throws -> RunStore {
        let filePath = path.standardizedFileURL.path
        let folder = (filePath as NSString).deletingLastPathComponent
        let files = [filePath, filePath + "-wal", filePath + "-shm"]
        let folderWritable = FileManager.default.fileExists(atPath: folder) ? access(folder, W_OK) == 0 : true
        if folderWritable && files.allSatisfy({ !FileManager.default.fileExists(atPath: $0) || access($0, W_OK) == 0 }) {
            return try RunStore(path: path)
        }
        guard FileManager.default.fileExists(atPath: filePath) else { return try RunStore(memory: (), readOnly: true) }
        do {
            return try RunStore(readOnlyAt: filePath, snapshot: false)
        } catch let error as StoreError where error.code == .corrupt || error.code == .newerSchema {
            throw error
        } catch {
            return try RunStore(readOnlyAt: filePath, snapshot: true)
        }
    }

    /// Opens `filePath` read-only, or a private copy of it (migrated) when `snapshot`.
    private init(readOnlyAt filePath: String, snapshot: Bool) throws {
        var configuration = Configuration()
        configuration.label = "RunStore"
        var folder: URL?
        do {
            let queue: DatabaseQueue
            if snapshot {
                let copy = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "lunette-store-\(getpid())-\(UUID().uuidString.lowercased())")
                folder = copy
                try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
                let target = copy.appendingPathComponent("lunette.sqlite").path
                try FileManager.default.copyItem(atPath: filePath, toPath: target)
                if FileManager.default.fileExists(atPath: filePath + "-wal") {
                    try FileManager.default.copyItem(atPath: filePath + "-wal", toPath: target + "-wal")
                }
                queue = try DatabaseQueue(path: target, configuration: configuration)
                schemaVersion = try Self.migrate(queue, path: filePath)
            } else {
                configuration.readonly = true
                queue = try DatabaseQueue(path: filePath, configuration: configuration)
                let migrator = Schema.migrator
                let (superseded, complete) = try queue.read { db in
                    (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db))
                }
                if superseded {
                    throw StoreError(
                        .newerSchema, "the run store was created by a newer Lunette", path: filePath,
                        remedy: "upgrade Lunette, or move this file aside to start a fresh history")
                }
                guard complete else {
                    throw StoreError(.database, "the run store needs migrating", path: filePath, remedy: "read a copy")
                }
                schemaVersion = try queue.read { db in try migrator.appliedMigrations(db).last } ?? "none"
            }
            writer = queue
        } catch {
            if let folder { try? FileManager.default.removeItem(at: folder) }
            throw StoreError.wrapping(error, "cannot open the run store read-only", path: filePath)
        }
        path = filePath
        isReadOnly = true
        snapshotFolder = folder
    }

    /// A private, empty store in memory, for tests and dry runs.
    public static func inMemory() throws -> RunStore { try RunStore(memory: (), readOnly: false) }

    private init(memory: (), readOnly: Bool) throws {
        path = ":memory:"
        isReadOnly = readOnly
        snapshotFolder = nil
        do {
            let queue = try DatabaseQueue()
            schemaVersion = try Self.migrate(queue, path: path)
            writer = queue
        } catch {
            throw StoreError.wrapping(error, "cannot create an in-memory store", path: ":memory:")
        }
    }

    deinit {
        if let snapshotFolder { try? FileManager.default.removeItem(at: snapshotFolder) }
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
        if isReadOnly {
            throw StoreError(
                .database, "cannot \(what): the run store is open read-only (its folder can't be written)", path: path,
                remedy: "make \((path as NSString).deletingLastPathComponent) writable and re-run")
        }
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
