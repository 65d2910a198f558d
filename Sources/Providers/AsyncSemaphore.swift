/// Bounds how many calls run at once: ``wait()`` takes a permit, ``signal()`` returns it.
///
/// Waiters are resumed in arrival order; a waiter cancelled while queued leaves the queue and
/// throws `CancellationError`.
public actor AsyncSemaphore {
    private var permits: Int
    private var waiters: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID = 0

    public init(permits: Int) {
        self.permits = max(permits, 1)
    }

    /// Takes a permit, waiting for one.
    public func wait() async throws {
        try Task.checkCancellation()
        if permits > 0 {
            permits -= 1
            return
        }
        let id = nextID
        nextID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// Returns a permit, waking the longest waiter.
    public func signal() {
        if waiters.isEmpty {
            permits += 1
        } else {
            waiters.removeFirst().continuation.resume()
        }
    }

    /// Runs `body` holding a permit.
    public nonisolated func withPermit<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await wait()
        do {
            let value = try await body()
            await signal()
            return value
        } catch {
            await signal()
            throw error
        }
    }

    private func cancel(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
