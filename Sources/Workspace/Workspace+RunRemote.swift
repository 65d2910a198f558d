import Basics
import ContentCache
import Execution
import Foundation
import RemoteCache
import WorkflowModel

extension Workspace {
    /// The remote cache for one `lunette run`, when one is declared: ``RunRemote``.
    /// - Parameters:
    ///   - failure: why the run's first read-through (the pull before planning) failed, if it did: the
    ///     remote is then out of the run from the start (see ``RunRemote``).
    ///   - writeThrough: upload each stage as it finishes (`--push`).
    ///   - onWarning: where the one warning about a failing remote goes at once; `nil` keeps it for
    ///     ``RunRemote/finish(interrupted:)``.
    func openRunRemote(
        failure: (any Error)?, writeThrough: Bool, onWarning: (@Sendable (Diagnostic) -> Void)?
    ) -> RunRemote? {
        guard let location = try? remoteLocation() else { return nil }
        let remote: any RemoteStore
        do {
            remote = try openRemote().0
        } catch {
            // Credentials missing, say: the remote is out from the start, with the one warning.
            let out = RunRemote(workspace: self, remote: nil, location: location, writeThrough: writeThrough, onWarning: onWarning)
            out.takeOut(because: failure ?? error)
            return out
        }
        let runRemote = RunRemote(workspace: self, remote: remote, location: location, writeThrough: writeThrough, onWarning: onWarning)
        if let failure { runRemote.takeOut(because: failure, warn: true) }
        return runRemote
    }
}

/// The remote cache while a run executes: each stage is looked up there by its action key before it
/// runs (read-through: a stage another clone ran and pushed is fetched and reused, even when no lock
/// names it yet), and with `--push` each stage that finished is uploaded at once (write-through), in
/// the order stages finish, so a run killed half-way leaves its finished stages on the remote.
///
/// A remote that fails (unreachable, silent past its timeout and retries, refusing) is out of the
/// rest of the run, both ways: one warning names it, the error and the remedy, at once; every later
/// stage runs here without asking it, and is not uploaded. A dead remote so costs one wait
/// (timeout × attempts), not one per stage. ``finish(interrupted:)`` names the finished stages that
/// were not pushed.
final class RunRemote: @unchecked Sendable {
    let workspace: Workspace
    /// `nil` when the remote could not even be opened (then it is out from the start).
    let remote: (any RemoteStore)?
    let location: RemoteLocation
    let writeThrough: Bool
    let onWarning: (@Sendable (Diagnostic) -> Void)?
    private let lock = NSLock()
    /// Why the remote is out of this run; `nil` while it answers.
    private var failure: String?
    private var uploads: Task<Void, Never>?
    private var uploaded = 0
    /// Finished stages write-through did not upload (the remote was out, or their upload failed).
    private var notPushed: [String] = []
    /// Warnings kept for ``finish(interrupted:)`` (all of them without `onWarning`).
    private var problems: [Diagnostic] = []

    init(
        workspace: Workspace, remote: (any RemoteStore)?, location: RemoteLocation, writeThrough: Bool,
        onWarning: (@Sendable (Diagnostic) -> Void)? = nil
    ) {
        self.workspace = workspace
        self.remote = remote
        self.location = location
        self.writeThrough = writeThrough
        self.onWarning = onWarning
    }

    /// Whether the remote is out of this run (it failed once).
    var isOut: Bool { lock.withLock { failure != nil } }

    /// Takes the remote out of the rest of the run; the first time, warns (unless `warn` is false:
    /// someone already did) naming the remote, the error and the remedy.
    func takeOut(because error: any Error, warn: Bool = true) {
        let (message, remedy) = Self.describe(error)
        let first = lock.withLock {
            guard failure == nil else { return false }
            failure = message
            return true
        }
        guard first, warn else { return }
        var fix = [remedy, "to run without the remote, set LUNETTE_REMOTE=off (or drop `remote:` from lunette.yaml)"]
            .compactMap { $0 }.joined(separator: "; ")
        if writeThrough { fix += "; `lunette push` uploads what this run made once the remote answers" }
        let what = writeThrough ? "stages run here and are not pushed" : "stages run here"
        report(.warning(
            "the remote cache \(location.description) failed, so this run goes on without it (\(what)): \(message)", hint: fix))
    }

    /// The message and the remedy of a remote's error (a ``RemoteError``'s two parts; another error's text).
    static func describe(_ error: any Error) -> (message: String, remedy: String?) {
        if let error = error as? RemoteError { return (error.message, error.remedy) }
        if let error = error as? WorkspaceError { return (error.message, error.remedy) }
        return ("\(error)", nil)
    }

    /// Says `diagnostic` at once through `onWarning`, or keeps it for ``finish(interrupted:)``.
    private func report(_ diagnostic: Diagnostic) {
        if let onWarning {
            onWarning(diagnostic)
        } else {
            lock.withLock { problems.append(diagnostic) }
        }
    }

    /// Brings action `key`'s record, objects and memo entries into the cache when the remote has
    /// them (each re-hashed, as `lunette pull` does).
    /// - Returns: the remote's name when the record is now in the cache; `nil` otherwise (also at
    ///   once, without asking, when the remote is out of the run).
    func lookup(_ key: ContentHash, _ stage: StageID) async -> String? {
        guard let remote, !isOut else { return nil }
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
            for item in transfer.corrupt { report(.warning("corrupt on the remote, left out (its stage runs again): \(item)")) }
            return try workspace.openCache().record(for: key) != nil ? location.description : nil
        } catch is CancellationError {
            return nil
        } catch {
            if Task.isCancelled { return nil }
            takeOut(because: error)
            return nil
        }
    }

    /// `observer`, and with write-through, each stage that succeeded queued for upload.
    func observing(_ observer: any ExecutionObserver) -> any ExecutionObserver {
        writeThrough ? WriteThroughObserver(inner: observer, remote: self) : observer
    }

    /// Queues the upload of a finished stage's objects, memo entries and record (record last); a
    /// stage that finishes once the remote is out is only noted as not pushed.
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
                guard let remote, !isOut, !Task.isCancelled else {
                    lock.withLock { notPushed.append(item.name) }
                    return
                }
                do {
                    let transfer = try await workspace.push(to: remote, location: location, items: [item], dryRun: false, progress: .silent)
                    lock.withLock { uploaded += transfer.uploaded.count }
                } catch {
                    lock.withLock { notPushed.append(item.name) }
                    if !(error is CancellationError) && !Task.isCancelled { takeOut(because: error) }
                }
            }
        }
    }

    /// Waits for the queued uploads (cancels them when the run was interrupted), closes the
    /// remote, and says what happened: the warnings not said yet, what was pushed, and the finished
    /// stages that were not.
    func finish(interrupted: Bool) async -> [Diagnostic] {
        let pending = lock.withLock { uploads }
        if interrupted { pending?.cancel() }
        await pending?.value
        await remote?.shutDown()
        return lock.withLock {
            var notes = problems
            if uploaded > 0 { notes.append(Diagnostic(.note, "pushed \(uploaded) objects to \(location.description) as stages finished")) }
            if !notPushed.isEmpty {
                notes.append(.warning(
                    "not pushed to the remote cache \(location.description) (\(notPushed.count) stage\(notPushed.count == 1 ? "" : "s")): "
                        + notPushed.joined(separator: ", "),
                    hint: "run `lunette push` once the remote answers again"))
            }
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
