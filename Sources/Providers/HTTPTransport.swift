import Foundation

/// An HTTP request as a provider builds it; sent through an ``HTTPTransport``.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// Header name/value pairs, in order. May hold a credential: never print them (see
    /// ``redactedHeaderNames``).
    public var headers: [(name: String, value: String)]
    public var body: Data
    /// The whole request's deadline (connect, send, receive).
    public var timeout: Duration

    public init(
        method: String = "POST", url: String, headers: [(name: String, value: String)] = [], body: Data = Data(),
        timeout: Duration = .seconds(120)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// Headers whose values are credentials and are never shown.
    public static let redactedHeaderNames: Set<String> = [
        "authorization", "x-api-key", "api-key", "proxy-authorization", "cookie",
    ]

    /// A one-line description for errors and logs: method and URL only, never a header.
    public var summary: String { "\(method) \(url)" }
}

/// An HTTP response: status, headers (names lower-cased) and the whole body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }
}

/// Sends one HTTP request: the seam between providers and the network.
///
/// The real one is ``HTTPClientTransport`` (AsyncHTTPClient); tests pass a closure. A transport
/// throws ``ProviderError`` with code `timeout` or `connection` for failures before a response.
public typealias HTTPTransport = @Sendable (HTTPRequest) async throws -> HTTPResponse
