import Basics
import Foundation

/// What a provider needs from the world, injected: the transport, time and randomness.
///
/// Production uses ``HTTPClientTransport``, the continuous clock, `Task.sleep` and a seeded
/// jitter source; tests pass a scripted transport, a recording sleeper and a fixed seed.
public struct ProviderRuntime: Sendable {
    public var transport: HTTPTransport
    public var retryPolicy: RetryPolicy
    /// Waits; `Task.sleep(for:)` by default. Must throw `CancellationError` when cancelled.
    public var sleep: @Sendable (Duration) async throws -> Void
    /// Monotonic time since an arbitrary origin, for the rate limiter.
    public var now: @Sendable () -> Duration
    /// The wall clock, for `Retry-After` HTTP dates.
    public var date: @Sendable () -> Date
    /// The jitter of retry delays.
    public var jitter: JitterSource
    /// Receives one line per retry ("HTTP 429 from POST …; retry 2 of 5 in 1.2 s"); never a secret.
    public var log: @Sendable (String) -> Void

    public init(
        transport: @escaping HTTPTransport, retryPolicy: RetryPolicy = RetryPolicy(),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Duration = ProviderRuntime.monotonicNow,
        date: @escaping @Sendable () -> Date = { Date() }, jitter: JitterSource = JitterSource(seed: 0x6c75_6e65),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.log = log
        self.transport = transport
        self.retryPolicy = retryPolicy
        self.sleep = sleep
        self.now = now
        self.date = date
        self.jitter = jitter
    }

    /// Time since the first call in this process, from the continuous clock.
    @Sendable public static func monotonicNow() -> Duration {
        ContinuousClock.now - origin
    }

    private static let origin = ContinuousClock.now
}

/// A shared, seeded source of numbers in `[0, 1)` for retry jitter.
public final class JitterSource: @unchecked Sendable {
    private let lock = NSLock()
    private var generator: SeededGenerator  // guarded by lock

    public init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    /// The next number in `[0, 1)`.
    public func next() -> Double {
        lock.withLock { Double(generator.next() >> 11) / Double(UInt64(1) << 53) }
    }
}
