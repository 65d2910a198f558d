/// The workspace's remote cache as `lunette.yaml` declares it (`remote:`), before it is opened.
public struct RemoteSettings: Sendable, Hashable {
    /// `s3://bucket/prefix`, `file:///path` or a folder path.
    public var url: String
    /// For S3-compatible stores other than AWS: `https://host[:port]`.
    public var endpoint: String?
    public var region: String?
    /// `endpoint/bucket/key` addressing (default: on when an endpoint is given).
    public var pathStyle: Bool?
    /// The transfer settings the file gives, by key (`timeout`, `retries`, `retry_delay`, `jobs`,
    /// `multipart_threshold`, `part_size`: ``Basics/RemoteTransferOption``), each checked in range
    /// when the file was read. The environment's `LUNETTE_REMOTE_*` variables override them.
    public var transfer: [String: Double]

    /// Transfers at once (default 8): `transfer["jobs"]`.
    public var jobs: Int? {
        get { transfer["jobs"].map { Int($0) } }
        set { transfer["jobs"] = newValue.map(Double.init) }
    }

    public init(
        url: String, endpoint: String? = nil, region: String? = nil, pathStyle: Bool? = nil, jobs: Int? = nil,
        transfer: [String: Double] = [:]
    ) {
        self.url = url
        self.endpoint = endpoint
        self.region = region
        self.pathStyle = pathStyle
        self.transfer = transfer
        if let jobs { self.transfer["jobs"] = Double(jobs) }
    }
}
