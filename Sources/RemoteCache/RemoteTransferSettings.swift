import Basics
import Foundation

/// How an ``S3Remote`` transfers: how long it waits for a silent server, how often and how soon it
/// retries, and when it switches to multipart uploads.
///
/// The defaults suit AWS and self-hosted stores alike. The environment overrides them (read by
/// ``RemoteLocation/open(environment:)``):
///
/// | variable | meaning | default |
/// |---|---|---|
/// | `LUNETTE_REMOTE_TIMEOUT` | seconds a request may wait for the server's next byte | 60 |
/// | `LUNETTE_REMOTE_RETRIES` | retries of a failed request (5xx, throttling, timeout, dropped connection) | 4 |
/// | `LUNETTE_REMOTE_RETRY_DELAY` | seconds of the first backoff (doubling, jittered, at most 10 s) | 0.2 |
/// | `LUNETTE_REMOTE_MULTIPART_THRESHOLD` | bytes above which an object goes up as a multipart upload | 64 MiB |
/// | `LUNETTE_REMOTE_PART_SIZE` | bytes per part (at least S3's 5 MiB) | 16 MiB |
public struct RemoteTransferSettings: Sendable, Hashable {
    /// S3's smallest part (except the last).
    public static let minimumPartSize: Int64 = 5 << 20

    /// How long a request may wait for the server's next byte (and at most for a connection).
    public var timeout: Duration
    public var retry: RetryPolicy
    /// Objects above this many bytes are sent as a multipart upload.
    public var multipartThreshold: Int64
    /// Bytes per part of a multipart upload (raised to ``minimumPartSize``).
    public var partSize: Int64

    public init(
        timeout: Duration = .seconds(60),
        retry: RetryPolicy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(200), maxDelay: .seconds(10)),
        multipartThreshold: Int64 = 64 << 20, partSize: Int64 = 16 << 20
    ) {
        self.timeout = timeout
        self.retry = retry
        self.multipartThreshold = multipartThreshold
        self.partSize = max(Self.minimumPartSize, partSize)
    }

    /// The defaults with the environment's overrides.
    /// - Throws: ``RemoteError`` `.settings` naming a variable whose value is not a number in range.
    public static func from(environment: [String: String]) throws -> RemoteTransferSettings {
        var settings = RemoteTransferSettings()
        func number(_ name: String, _ range: ClosedRange<Double>, _ meaning: String) throws -> Double? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let value = Double(text), value.isFinite, range.contains(value) else {
                throw RemoteError(
                    .settings, "\(name)=\(text) is not \(meaning)",
                    remedy: "set it to a number from \(String(format: "%g", range.lowerBound)) to \(String(format: "%g", range.upperBound)), or unset it for the default")
            }
            return value
        }
        if let seconds = try number("LUNETTE_REMOTE_TIMEOUT", 0.1...86_400, "a number of seconds") {
            settings.timeout = .milliseconds(Int64(seconds * 1000))
        }
        if let retries = try number("LUNETTE_REMOTE_RETRIES", 0...20, "a number of retries") {
            settings.retry.maxAttempts = Int(retries) + 1
        }
        if let seconds = try number("LUNETTE_REMOTE_RETRY_DELAY", 0...60, "a number of seconds") {
            settings.retry.baseDelay = .milliseconds(Int64(seconds * 1000))
        }
        if let bytes = try number("LUNETTE_REMOTE_MULTIPART_THRESHOLD", 0...5e12, "a number of bytes") {
            settings.multipartThreshold = Int64(bytes)
        }
        if let bytes = try number("LUNETTE_REMOTE_PART_SIZE", Double(minimumPartSize)...5e9, "a number of bytes (at least 5 MiB)") {
            settings.partSize = Int64(bytes)
        }
        return settings
    }
}
