/// The workspace's remote cache as `lunette.yaml` declares it (`remote:`), before it is opened.
public struct RemoteSettings: Sendable, Hashable {
    /// `s3://bucket/prefix`, `file:///path` or a folder path.
    public var url: String
    /// For S3-compatible stores other than AWS: `https://host[:port]`.
    public var endpoint: String?
    public var region: String?
    /// `endpoint/bucket/key` addressing (default: on when an endpoint is given).
    public var pathStyle: Bool?
    /// Transfers at once (default 8).
    public var jobs: Int?

    public init(url: String, endpoint: String? = nil, region: String? = nil, pathStyle: Bool? = nil, jobs: Int? = nil) {
        self.url = url
        self.endpoint = endpoint
        self.region = region
        self.pathStyle = pathStyle
        self.jobs = jobs
    }
}
