import Basics
import Foundation


/// Where a workspace's remote cache is: parsed from `remote:` in `lunette.yaml` (or
/// `LUNETTE_REMOTE`), and opened as a ``RemoteStore``.
public enum RemoteLocation: Sendable, Hashable {
    /// `s3://bucket/prefix` with its endpoint, region and addressing.
    case s3(bucket: String, prefix: String, endpoint: URL?, region: String, pathStyle: Bool)
    /// `file:///path` or a plain path (relative paths are from the workspace root).
    case folder(URL)

    /// Parses a remote URL and its S3 options.
    /// - Parameter root: the workspace root, for relative folder paths.
    /// - Throws: ``RemoteError`` `.settings` for any other scheme.
    public static func parse(
        _ text: String, endpoint: String? = nil, region: String? = nil, pathStyle: Bool? = nil, root: URL
    ) throws -> RemoteLocation {
        if text.hasPrefix("s3://") {
            let rest = text.dropFirst(5)
            let bucket = String(rest.prefix { $0 != "/" })
            guard !bucket.isEmpty else {
                throw RemoteError(.settings, "remote '\(text)' names no bucket", remedy: "write it as s3://BUCKET/PREFIX")
            }
            let prefix = String(rest.dropFirst(bucket.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            var endpointURL: URL?
            if let endpoint, !endpoint.isEmpty {
                guard let url = URL(string: endpoint), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                    throw RemoteError(
                        .settings, "remote endpoint '\(endpoint)' is not an http(s) URL",
                        remedy: "write it as https://HOST[:PORT], e.g. http://127.0.0.1:9000 for a local MinIO")
                }
                endpointURL = url
            }
            return .s3(
                bucket: bucket, prefix: prefix, endpoint: endpointURL, region: region ?? "us-east-1",
                pathStyle: pathStyle ?? (endpointURL != nil))
        }
        if text.hasPrefix("file://") {
            guard let url = URL(string: text), url.isFileURL else {
                throw RemoteError(.settings, "remote '\(text)' is not a file URL", remedy: "write it as file:///absolute/path")
            }
            return .folder(url.standardizedFileURL)
        }
        guard !text.contains("://") else {
            throw RemoteError(
                .settings, "remote '\(text)' has an unknown scheme",
                remedy: "use s3://BUCKET/PREFIX for S3-compatible storage, or a folder path (file:///path)")
        }
        return .folder(URL(fileURLWithPath: text, relativeTo: root).standardizedFileURL)
    }

    /// Opens the remote: an ``S3Remote`` with credentials from `environment` (see
    /// ``AWSCredentials/resolve(environment:)``) and its transfer settings
    /// (``RemoteTransferSettings/from(environment:configured:)``: the settings file's, overridden by
    /// the environment), or a ``FolderRemote``.
    /// - Parameter configured: the transfer settings of the settings file, by key (`timeout`, `retries`…).
    public func open(environment: [String: String], configured: [String: Double] = [:]) throws -> any RemoteStore {
        switch self {
        case .folder(let url):
            return FolderRemote(root: url)
        case .s3(let bucket, let prefix, let endpoint, let region, let pathStyle):
            let credentials = try AWSCredentials.resolve(environment: environment)
            let transfer = try RemoteTransferSettings.from(environment: environment, configured: configured)
            let url = endpoint ?? URL(string: "https://s3.\(region).amazonaws.com")!  // swift-format-ignore: NeverForceUnwrap
            return S3Remote(
                bucket: bucket, prefix: prefix, endpoint: url, region: region, pathStyle: pathStyle, credentials: credentials,
                transfer: transfer)
        }
    }

    /// The remote as written (`s3://bucket/prefix` or the folder's path).
    public var description: String {
        switch self {
        case .folder(let url): return url.path
        case .s3(let bucket, let prefix, _, _, _): return "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)")
        }
    }
}
