import Foundation

/// When and how long to wait before retrying a failed call: exponential backoff with full jitter,
/// honouring `Retry-After`.
///
/// Attempt *n* (0-based) that fails with a retryable error waits a uniform random time in
/// `0 ... min(maxDelay, baseDelay × 2ⁿ)` ("full jitter", which spreads retries of many clients
/// best), or exactly the server's `Retry-After` when it sent one (capped at ``maxRetryAfter``).
/// After ``maxAttempts`` attempts the last error is thrown.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// The longest `Retry-After` honoured; a longer one fails the call instead of waiting.
    public var maxRetryAfter: Duration

    public init(
        maxAttempts: Int = 6, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30),
        maxRetryAfter: Duration = .seconds(600)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// The upper bound of the jittered wait after attempt `attempt` (0-based).
    public func backoffCeiling(afterAttempt attempt: Int) -> Duration {
        let factor = Double(1 << min(attempt, 30))
        let seconds = min(maxDelay.seconds, baseDelay.seconds * factor)
        return .seconds(seconds)
    }

    /// The wait after attempt `attempt` failed: `retryAfter` when given, else a uniform draw
    /// from `0 ... backoffCeiling(afterAttempt:)` using `unit`, a number in `[0, 1)`.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?, unit: Double) -> Duration {
        if let retryAfter { return min(retryAfter, maxRetryAfter) }
        return .seconds(backoffCeiling(afterAttempt: attempt).seconds * min(max(unit, 0), 1))
    }

    /// Reads a `Retry-After` value: delay-seconds (`"3"`) or an HTTP date, relative to `now`.
    /// Dates in the past give zero; anything unreadable gives `nil`.
    public static func parseRetryAfter(_ value: String, now: Date) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                return .seconds(max(0, date.timeIntervalSince(now)))
            }
        }
        return nil
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
