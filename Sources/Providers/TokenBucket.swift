/// A token-bucket rate limit: at most `requestsPerMinute` calls a minute, with bursts of up to
/// `burst` calls.
///
/// Each ``acquire()`` takes a token, waiting (through the injected sleep) until one is there.
/// Waiters are served in arrival order because each reserves its slot before it sleeps.
public actor TokenBucket {
    private let interval: Duration
    private let capacity: Double
    private var tokens: Double
    private var updated: Duration
    private let now: @Sendable () -> Duration
    private let sleep: @Sendable (Duration) async throws -> Void

    /// - Parameters:
    ///   - requestsPerMinute: the sustained rate, > 0.
    ///   - burst: how many calls may go at once after a quiet spell (at least 1).
    public init(
        requestsPerMinute: Double, burst: Int = 1, now: @escaping @Sendable () -> Duration,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        interval = .seconds(60 / max(requestsPerMinute, 1e-9))
        capacity = Double(max(burst, 1))
        tokens = Double(max(burst, 1))
        self.now = now
        self.updated = now()
        self.sleep = sleep
    }

    /// Takes one token, waiting for it when the bucket is empty.
    /// - Throws: `CancellationError` when cancelled while waiting (the slot is given back).
    public func acquire() async throws {
        refill()
        tokens -= 1  // may go negative: a reservation the caller waits out
        guard tokens < 0 else { return }
        let wait = interval * (-tokens)
        do {
            try await sleep(wait)
        } catch {
            tokens += 1
            throw error
        }
    }

    private func refill() {
        let current = now()
        let elapsed = current - updated
        updated = current
        tokens = min(capacity, tokens + elapsed / interval)
    }
}
