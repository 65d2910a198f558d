/// One transfer setting of a remote cache, as `lunette.yaml` (`remote.<key>`) and the environment
/// (`LUNETTE_REMOTE_<KEY>`) write it: its names, its unit and the values it accepts.
///
/// The one table both readers check against, so that the settings file (read by `ManifestLoading`,
/// errors located at the value) and the environment (read by `RemoteCache` when a remote opens,
/// errors naming the variable) accept the same values. The environment overrides the file.
///
/// | key | variable | meaning | range | default |
/// |---|---|---|---|---|
/// | `timeout` | `LUNETTE_REMOTE_TIMEOUT` | seconds a request may wait for the server's next byte | 0.1–86400 | 60 |
/// | `retries` | `LUNETTE_REMOTE_RETRIES` | retries of a failed request | 0–20 | 4 |
/// | `retry_delay` | `LUNETTE_REMOTE_RETRY_DELAY` | seconds of the first backoff (doubling, at most 10 s) | 0–60 | 0.2 |
/// | `jobs` | `LUNETTE_REMOTE_JOBS` | transfers at once | 1–64 | 8 |
/// | `multipart_threshold` | `LUNETTE_REMOTE_MULTIPART_THRESHOLD` | bytes above which an object goes up in parts | 0–5e12 | 64 MiB |
/// | `part_size` | `LUNETTE_REMOTE_PART_SIZE` | bytes per part | 5 MiB–5e9 | 16 MiB |
public struct RemoteTransferOption: Sendable, Hashable {
    /// The key under `remote:` in the settings file (`retry_delay`).
    public let key: String
    /// The environment variable that overrides it (`LUNETTE_REMOTE_RETRY_DELAY`).
    public let variable: String
    /// What a value is, as an error says it: "a number of seconds".
    public let meaning: String
    public let range: ClosedRange<Double>
    /// Only whole numbers (counts and bytes).
    public let isWhole: Bool

    public static let timeout = RemoteTransferOption(
        key: "timeout", variable: "LUNETTE_REMOTE_TIMEOUT", meaning: "a number of seconds", range: 0.1...86_400, isWhole: false)
    public static let retries = RemoteTransferOption(
        key: "retries", variable: "LUNETTE_REMOTE_RETRIES", meaning: "a number of retries", range: 0...20, isWhole: true)
    public static let retryDelay = RemoteTransferOption(
        key: "retry_delay", variable: "LUNETTE_REMOTE_RETRY_DELAY", meaning: "a number of seconds", range: 0...60, isWhole: false)
    public static let jobs = RemoteTransferOption(
        key: "jobs", variable: "LUNETTE_REMOTE_JOBS", meaning: "a number of transfers at once", range: 1...64, isWhole: true)
    public static let multipartThreshold = RemoteTransferOption(
        key: "multipart_threshold", variable: "LUNETTE_REMOTE_MULTIPART_THRESHOLD", meaning: "a number of bytes",
        range: 0...5e12, isWhole: true)
    public static let partSize = RemoteTransferOption(
        key: "part_size", variable: "LUNETTE_REMOTE_PART_SIZE", meaning: "a number of bytes (at least 5 MiB)",
        range: Double(5 << 20)...5e9, isWhole: true)

    /// Every transfer option, in the order the documentation lists them.
    public static let all: [RemoteTransferOption] = [timeout, retries, retryDelay, jobs, multipartThreshold, partSize]

    /// Whether `value` is accepted: finite, in range, and whole where it must be.
    public func accepts(_ value: Double) -> Bool {
        value.isFinite && range.contains(value) && (!isWhole || value.rounded() == value)
    }

    /// "from 0 to 20 (a whole number)", "from 0.1 to 86400": the values it accepts, in words.
    public var accepted: String {
        "from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound))" + (isWhole ? " (a whole number)" : "")
    }

    static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
