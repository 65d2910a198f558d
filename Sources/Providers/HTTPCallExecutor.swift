import Basics
import Foundation

/// Sends requests for a provider with its limits: bounded concurrency, a rate limit, and retries
/// with backoff on 408, 429, 5xx, timeouts, broken connections and unreadable bodies.
///
/// Each attempt takes a concurrency permit and a rate-limit token, and gives the permit back while
/// it waits to retry, so a provider never has more than `maxConcurrency` requests in flight.
public struct HTTPCallExecutor: Sendable {
    public let runtime: ProviderRuntime
    let semaphore: AsyncSemaphore
    let bucket: TokenBucket?
    /// Scrubbed from any server text quoted in an error (some servers echo the key they got).
    let secret: Secret?

    /// - Parameters:
    ///   - maxConcurrency: requests in flight at most (≥ 1).
    ///   - requestsPerMinute: the rate limit, or `nil` for none.
    ///   - secret: the credential sent, scrubbed from error messages.
    public init(runtime: ProviderRuntime, maxConcurrency: Int, requestsPerMinute: Double?, secret: Secret? = nil) {
        self.runtime = runtime
        self.secret = secret
        semaphore = AsyncSemaphore(permits: maxConcurrency)
        bucket = requestsPerMinute.map {
            TokenBucket(requestsPerMinute: $0, burst: 1, now: runtime.now, sleep: runtime.sleep)
        }
    }

    /// Sends `request` until `decode` accepts a response or the retry policy gives up.
    ///
    /// A response with status 408, 429 or 5xx is a retryable ``ProviderError``; any other response is
    /// handed to `decode`, which may throw any error (only a ``ProviderError`` that
    /// ``ProviderError/isRetryable`` is retried).
    /// - Throws: the last ``ProviderError``, or `CancellationError`.
    public func send<T: Sendable>(
        _ request: HTTPRequest, decode: @Sendable (HTTPResponse) throws -> T
    ) async throws -> T {
        let policy = runtime.retryPolicy
        var attempt = 0
        while true {
            try Task.checkCancellation()
            do {
                return try await semaphore.withPermit {
                    if let bucket { try await bucket.acquire() }
                    let response = try await runtime.transport(request)
                    if let failure = HTTPCallExecutor.retryableFailure(
                        response, request: request, date: runtime.date(), secret: secret) {
                        throw failure
                    }
                    return try decode(response)
                }
            } catch let error as ProviderError where error.isRetryable {
                attempt += 1
                guard attempt < policy.maxAttempts else {
                    throw ProviderError(
                        error.code, "\(error.message) (gave up after \(attempt) attempts)", remedy: error.remedy,
                        status: error.status, retryAfter: error.retryAfter)
                }
                if let retryAfter = error.retryAfter, retryAfter > policy.maxRetryAfter {
                    throw ProviderError(
                        error.code, "\(error.message); the server asked to wait \(Int(retryAfter.seconds)) s",
                        remedy: "lower requests_per_minute, or run again later", status: error.status)
                }
                let wait = policy.delay(afterAttempt: attempt - 1, retryAfter: error.retryAfter, unit: runtime.jitter.next())
                runtime.log(
                    "\(error.message); retry \(attempt) of \(policy.maxAttempts - 1) in "
                        + String(format: "%.2f s", wait.seconds))
                try await runtime.sleep(wait)
            }
        }
    }

    /// The error for a status worth retrying (408, 429, 5xx), with the server's `Retry-After`.
    static func retryableFailure(
        _ response: HTTPResponse, request: HTTPRequest, date: Date, secret: Secret?
    ) -> ProviderError? {
        let status = response.status
        guard status == 408 || status == 429 || (500...599).contains(status) else { return nil }
        let retryAfter = response.header("retry-after").flatMap { RetryPolicy.parseRetryAfter($0, now: date) }
        let detail = ProviderResponseText.errorDetail(response.body, redacting: secret)
        let code: ProviderError.Code = status == 429 ? .rateLimited : status == 408 ? .timeout : .serverError
        return ProviderError(
            code, "\(request.summary): HTTP \(status)\(detail)", remedy: status == 429 ? "lower requests_per_minute or max_concurrency" : nil,
            status: status, retryAfter: retryAfter)
    }
}
