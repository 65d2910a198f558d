import Basics
import ContentCache
import Execution
import Foundation
import RemoteCache
import WorkflowModel

extension Workspace {
    /// The remote cache for one `lunette run`, when one is declared: ``RunRemote``.
    /// - Parameters:
    ///   - readable: whether the run's first read-through reached the remote (when it did not, the
    ///     run does not look each stage up there: it would wait for every timeout again).
    ///   - writeThrough: upload each stage as it finishes (`--push`).
    func openRunRemote(readable: Bool, writeThrough: Bool) -> RunRemote? {
        guard readable || writeThrough, (try? remoteLocation()) != nil, let opened = try? openRemote() else { return nil }
        return RunRemote(workspace: self, remote: opened.0, location: opened.1, readable: readable, writeThrough: writeThrough)
    }
}

/// The remote cache while a run executes: each stage is looked up there by its action key before it
/// runs (read-through: a stage another clone ran and pushed is fetched and reused, even when no lock
/// names it yet), and with `--push` each stage that finished is uploaded at once (write-through), in
/// the order stages finish, so a run killed half-way leaves its finished stages on the remote.
///
/// A remote that fails once is not asked again in this run; the failure becomes a warning.
final class RunRemote: @unchecked Sendable {
    let workspace: Workspace
    let remote: any RemoteStore
    let location: RemoteLocation
    let writeThrough: Bool
    private let lock = NSLock()
    private var readable: Bool
    private var uploads: Task<Void, Never>?
    private var uploaded = 0
    private var problems: [String] = []

    init(workspace: Workspace, remote: any RemoteStore, location: RemoteLocation, readable: Bool, writeThrough: Bool) {
        self.workspace = workspace
        self.remote = remote
        self.location = location
        self.readable = readable
        self.writeThrough = writeThrough
    }

    /// Brings action `key`'s record, objects and memo entries into the cache when the remote has
    /// them (each re-hashed, as `lunette pull` does).
    /// - Returns: the remote's name when the record is now in the cache; `nil` otherwise.
    func lookup(_ key: ContentHash, _ stage: StageID) async -> String? {
        guard lock.withLock({ readable }) else { return nil }
        let scratch = workspace.cacheDirectory.appendingPathComponent("tmp/lookup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        do {
            try FileManager.default.createDirectory(at: scratch.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard try await remote.download(Workspace.recordKey(key), to: scratch),
                let record = try? JSONDecoder().decode(ActionRecord.self, from: Data(contentsOf: scratch)), record.key == key
            else { return nil }
            let outputs = record.outputs.values.map {
                RemoteItem.Output(digest: $0.digest, size: $0.size, isDirectory: $0.kind == .directory)
            }
            let transfer = try await workspace.pull(
                from: remote, location: location, items: [RemoteItem(name: stage.description, actionKey: key, outputs: outputs)],
                progress: .silent)
            if !transfer.corrupt.isEmpty {
                lock.withLock {
                    problems += transfer.corrupt.map { "corrupt on the remote, left out (its stage runs again): \($0)" }
                }
            }
            return try workspace.openCache().record(for: key) != nil ? location.description : nil
        } catch {
            lock.withLock {
                readable = false
                problems.append("could not read \(stage) from the remote cache (not asked again in this run): \(error)")
            }
            return nil
        }
    }

    /// `observer`, and with write-through, each stage that succeeded queued for upload.
    func observing(_ observer: any ExecutionObserver) -> any ExecutionObserver {
        writeThrough ? WriteThroughObserver(inner: observer, remote: self) : observer
    }

    /// Queues the upload of a finished stage's objects, memo entries and record (record last).
    func upload(_ outcome: StageOutcome) {
        guard case .succeeded = outcome.status, let key = outcome.key else { return }
        let outputs = outcome.outputs.values.map {
            RemoteItem.Output(digest: $0.digest, size: $0.size, isDirectory: $0.kind == "directory")
        }
        let item = RemoteItem(name: outcome.id.description, actionKey: key, outputs: outputs)
        lock.withLock {
            let previous = uploads
            uploads = Task { [self] in
                await previous?.value
                do {
                    let transfer = try await workspace.push(to: remote, location: location, items: [item], dryRun: false, progress: .silent)
                    lock.withLock { uploaded += transfer.uploaded.count }
                } catch {
                    lock.withLock { problems.append("could not push \(item.name) to the remote cache: \(error)") }
                }
            }
        }
    }

    /// Waits for the queued uploads (cancels them when the run was interrupted), closes the
    /// remote, and says what happened.
    func finish(interrupted: Bool) async -> [Diagnostic] {
        let pending = lock.withLock { uploads }
        if interrupted { pending?.cancel() }
        await pending?.value
        await remote.shutDown()
        return lock.withLock {
            var notes = problems.map { Diagnostic.warning($0) }
            if uploaded > 0 { notes.append(Diagnostic(.note, "pushed \(uploaded) objects to \(location.description) as stages finished")) }
            return notes
        }
    }
}

/// Passes every event on, and queues each finished stage for upload (write-through).
struct WriteThroughObserver: ExecutionObserver {
    let inner: any ExecutionObserver
    let remote: RunRemote

    func handle(_ event: ExecutionEvent) {
        inner.handle(event)
        if case .finished(let outcome) = event { remote.upload(outcome) }
    }
}
