import Foundation

/// How `lunette serve` listens, whom it lets in, and the limits it enforces.
public struct ServerConfiguration: Sendable {
    /// The address to bind (`127.0.0.1` by default).
    public var host: String
    /// The port; 0 picks a free one (tests).
    public var port: Int
    /// The bearer token every request but `/healthz` and `/readyz` must carry; `nil` for none.
    public var token: String?
    /// When not empty, only these metric names are served, and these references are loaded at start.
    public var metrics: [String]
    /// The largest request body accepted (413 above it).
    public var maxBodyBytes: Int
    /// The most rows one request may carry (413 above it).
    public var maxRowsPerRequest: Int
    /// The most rows waiting to be scored for one model; further requests get 503 with Retry-After.
    public var maxQueuedRows: Int
    /// How long an idle batcher waits for more requests before scoring what it has; `.zero` (the
    /// default) scores a lone request at once. Requests that arrive while a batch is being scored
    /// wait for it and are scored together next, whatever the window.
    public var batchWindow: Duration
    /// The largest batch scored at once.
    public var maxBatchRows: Int
    /// Encoder threads per model.
    public var threads: Int
    /// How long a connection may go without sending a complete request part (a head, a body chunk)
    /// before it is closed: ends idle keep-alive connections and heads sent a byte at a time.
    public var idleTimeout: Duration
    /// How long a request's body may take to arrive whole after its head before the connection is
    /// closed: ends bodies dribbled a byte at a time.
    public var requestBodyTimeout: Duration

    public init(
        host: String = "127.0.0.1", port: Int = 8080, token: String? = nil, metrics: [String] = [],
        maxBodyBytes: Int = 1 << 20, maxRowsPerRequest: Int = 1000, maxQueuedRows: Int = 10_000,
        batchWindow: Duration = .zero, maxBatchRows: Int = 256, threads: Int = 2,
        idleTimeout: Duration = .seconds(60), requestBodyTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.metrics = metrics
        self.maxBodyBytes = maxBodyBytes
        self.maxRowsPerRequest = maxRowsPerRequest
        self.maxQueuedRows = maxQueuedRows
        self.batchWindow = batchWindow
        self.maxBatchRows = maxBatchRows
        self.threads = threads
        self.idleTimeout = idleTimeout
        self.requestBodyTimeout = requestBodyTimeout
    }

    /// Whether `host` only accepts connections from this machine.
    public static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Refuses settings that would expose the server unprotected or make it unusable.
    /// - Throws: ``ServerConfigurationError`` saying what to change.
    public func validate() throws {
        if !Self.isLoopback(host), token?.isEmpty ?? true {
            throw ServerConfigurationError(
                "refusing to listen on \(host) without a token: anyone who can reach it could use it",
                remedy: "set a secret in an environment variable and pass --token-env VAR, or bind to 127.0.0.1")
        }
        guard (0...65535).contains(port) else {
            throw ServerConfigurationError("port \(port) is out of range", remedy: "use 1-65535 (0 picks a free one)")
        }
        guard idleTimeout > .zero, requestBodyTimeout > .zero else {
            throw ServerConfigurationError("timeouts must be positive", remedy: "give idleTimeout and requestBodyTimeout a duration above zero")
        }
        guard maxRowsPerRequest > 0, maxBodyBytes > 0, maxQueuedRows >= maxRowsPerRequest else {
            throw ServerConfigurationError(
                "limits must be positive and the queue must hold at least one full request",
                remedy: "raise maxQueuedRows to at least maxRowsPerRequest")
        }
    }
}

/// A server setting that cannot work, with how to fix it.
public struct ServerConfigurationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var remedy: String

    public init(_ message: String, remedy: String) {
        self.message = message
        self.remedy = remedy
    }

    public var description: String { "\(message) (\(remedy))" }
}
