import Basics
import Foundation

/// How a remote transfers: how long it waits for a silent server, how often and how soon it
/// retries, how many transfers run at once, and when it switches to multipart uploads.
///
/// The defaults suit AWS and self-hosted stores alike. The workspace settings file sets them under
/// `remote:` (`timeout: 30`, `retries: 2`, …: the `configured` values of
/// ``from(environment:configured:)``), and the environment overrides the file (read by
/// ``RemoteLocation/open(environment:configured:)``). The keys, variables and ranges are
/// ``Basics/RemoteTransferOption``'s:
///
/// | key | variable | meaning | default |
/// |---|---|---|---|
/// | `timeout` | `LUNETTE_REMOTE_TIMEOUT` | seconds a request may wait for the server's next byte | 60 |
/// | `retries` | `LUNETTE_REMOTE_RETRIES` | retries of a failed request (5xx, throttling, timeout, dropped connection) | 4 |
/// | `retry_delay` | `LUNETTE_REMOTE_RETRY_DELAY` | seconds of the first backoff (doubling, jittered, at most 10 s) | 0.2 |
/// | `jobs` | `LUNETTE_REMOTE_JOBS` | transfers at once | 8 |
/// | `multipart_threshold` | `LUNETTE_REMOTE_MULTIPART_THRESHOLD` | bytes above which an object goes up as a multipart upload | 64 MiB |
/// | `part_size` | `LUNETTE_REMOTE_PART_SIZE` | bytes per part (at least S3's 5 MiB) | 16 MiB |
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
    /// Transfers at once (objects pushed or pulled in parallel).
    public var jobs: Int

    public init(
        timeout: Duration = .seconds(60),
        retry: RetryPolicy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(200), maxDelay: .seconds(10)),
        multipartThreshold: Int64 = 64 << 20, partSize: Int64 = 16 << 20, jobs: Int = 8
    ) {
        self.timeout = timeout
        self.retry = retry
        self.multipartThreshold = multipartThreshold
        self.partSize = max(Self.minimumPartSize, partSize)
        self.jobs = jobs
    }

    /// The defaults, with the settings file's values, with the environment's overrides.
    /// - Parameter configured: values the settings file gives, by ``Basics/RemoteTransferOption/key``
    ///   (already checked where they were read; a value out of range here is ignored).
    /// - Throws: ``RemoteError`` `.settings` naming a variable whose value is not a number in range.
    public static func from(environment: [String: String], configured: [String: Double] = [:]) throws -> RemoteTransferSettings {
        var settings = RemoteTransferSettings()
        for option in RemoteTransferOption.all {
            if let value = configured[option.key], option.accepts(value) { settings.set(option, value) }
            guard let text = environment[option.variable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { continue }
            guard let value = Double(text), option.accepts(value) else {
                throw RemoteError(
                    .settings, "\(option.variable)=\(text) is not \(option.meaning)",
                    remedy: "set it to a number \(option.accepted), or unset it for the default (or remote.\(option.key) in lunette.yaml)")
            }
            settings.set(option, value)
        }
        return settings
    }

    /// Sets the setting `option` names to `value` (in its unit: seconds, retries, bytes, transfers).
    mutating func set(_ option: RemoteTransferOption, _ value: Double) {
        switch option {
        case .timeout: timeout = .milliseconds(Int64(value * 1000))
        case .retries: retry.maxAttempts = Int(value) + 1
        case .retryDelay: retry.baseDelay = .milliseconds(Int64(value * 1000))
        case .jobs: jobs = Int(value)
        case .multipartThreshold: multipartThreshold = Int64(value)
        case .partSize: partSize = max(Self.minimumPartSize, Int64(value))
        default: break
        }
    }
}
