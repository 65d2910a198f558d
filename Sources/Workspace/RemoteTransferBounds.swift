import Foundation
import RemoteCache

/// At most `limit` transfers at once across everything a push or a pull does: a counting
/// semaphore whose waiters are served in the order they came.
actor TransferLimiter {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ limit: Int) {
        free = max(1, limit)
    }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }

    /// Runs `work` holding one of the `limit` places; a task cancelled while it waited gives its place
    /// back at once and throws `CancellationError` (so an interrupted pull drains quickly).
    nonisolated func run<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        await acquire()
        do {
            try Task.checkCancellation()
            let value = try await work()
            await release()
            return value
        } catch {
            await release()
            throw error
        }
    }
}

/// A ``RemoteCache/RemoteStore`` whose requests share one ``TransferLimiter``: however many stages a
/// pull works on at once, at most `limit` transfers are in flight.
struct LimitedRemote: RemoteStore {
    let base: any RemoteStore
    let limiter: TransferLimiter

    init(_ base: any RemoteStore, limit: Int) {
        self.base = base
        self.limiter = TransferLimiter(limit)
    }

    var description: String { base.description }

    func exists(_ key: String) async throws -> Bool {
        try await limiter.run { try await base.exists(key) }
    }

    func download(_ key: String, to destination: URL) async throws -> Bool {
        try await limiter.run { try await base.download(key, to: destination) }
    }

    func upload(_ source: URL, as key: String, sha256: String?) async throws {
        try await limiter.run { try await base.upload(source, as: key, sha256: sha256) }
    }

    func shutDown() async { await base.shutDown() }
}

/// Runs each keyed piece of a transfer once, however many stages ask for it at the same time (two
/// stages that name one object, two memo manifests that list one entry): the first asker starts it,
/// later ones wait for it and get the same outcome, told that they were not first.
actor TransferOnce<Value: Sendable> {
    private var started: [String: Task<Value, any Error>] = [:]

    private func task(_ key: String, _ work: @escaping @Sendable () async throws -> Value) -> (Task<Value, any Error>, Bool) {
        if let task = started[key] { return (task, false) }
        let task = Task { try await work() }
        started[key] = task
        return (task, true)
    }

    /// `work`'s outcome for `key`, run by the first asker only; cancelling an asker cancels the work
    /// (every asker is cancelled together, by Ctrl-C or a failed transfer).
    nonisolated func run(_ key: String, _ work: @escaping @Sendable () async throws -> Value) async throws -> (Value, first: Bool) {
        let (task, first) = await task(key, work)
        let value = try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
        return (value, first)
    }
}
