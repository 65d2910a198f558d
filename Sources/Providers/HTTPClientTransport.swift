import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The real ``HTTPTransport``: one AsyncHTTPClient for the life of the value, shut down by
/// ``shutDown()``.
///
/// Prefer the scoped form, which shuts the client down however `body` ends:
///
/// ```swift
/// let answer = try await HTTPClientTransport.with { transport in
///     let provider = OpenAICompatibleProvider(configuration: config, apiKey: key,
///                                             runtime: ProviderRuntime(transport: transport.send))
///     return try await provider.complete(request)
/// }
/// ```
///
/// Failures before a complete response become ``ProviderError``s with code `timeout` (the
/// request's deadline passed, the body included: a server that drips its answer past it times
/// out) or `connection` (refused, reset, a body cut short), which the providers retry. Bodies
/// above ``maxBodyBytes`` are refused.
///
/// Requests go through the proxies that `https_proxy`, `http_proxy` and `no_proxy` name (see
/// ``ProxySettings``), tunnelled with `CONNECT`; errors name the proxy's `host:port` and the
/// variable, never its credentials.
public final class HTTPClientTransport: Sendable {
    private let client: HTTPClient
    /// One client per proxy server.
    private let proxied: [ProxySettings.Server: HTTPClient]
    private let proxies: ProxySettings
    /// The largest response body read (16 MiB).
    public static let maxBodyBytes = 16 << 20

    /// - Parameter environment: where the proxy variables are read (a stage's environment; `[:]` for none).
    public init(environment: [String: String]) {
        proxies = ProxySettings(environment: environment)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.configuration(proxy: nil))
        var proxied: [ProxySettings.Server: HTTPClient] = [:]
        for server in proxies.servers {
            proxied[server] = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.configuration(proxy: server))
        }
        self.proxied = proxied
    }

    private static func configuration(proxy: ProxySettings.Server?) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10))
        configuration.redirectConfiguration = .disallow
        // Through a proxy, a refused tunnel (407, 403) would otherwise be tried again and again until
        // the request's deadline; the provider's own retries handle a proxy that is down.
        if proxy != nil { configuration.connectionPool.retryConnectionEstablishment = false }
        switch proxy?.kind {
        case .http?:
            let authorization = proxy?.username.map { user in
                HTTPClient.Authorization.basic(username: user, password: proxy?.password?.revealedValue ?? "")
            }
            configuration.proxy = .server(host: proxy?.host ?? "", port: proxy?.port ?? 80, authorization: authorization)
        case .socks5?:
            configuration.proxy = .socksServer(host: proxy?.host ?? "", port: proxy?.port ?? 1080)
        case nil:
            break
        }
        return configuration
    }

    /// Creates a transport, runs `body` with it, and shuts it down.
    /// - Parameter environment: where the proxy variables are read (a stage's environment; `[:]` for none).
    public static func with<T: Sendable>(
        environment: [String: String], _ body: (HTTPClientTransport) async throws -> T
    ) async throws -> T {
        let transport = HTTPClientTransport(environment: environment)
        do {
            let value = try await body(transport)
            try await transport.shutDown()
            return value
        } catch {
            try? await transport.shutDown()
            throw error
        }
    }

    /// Closes every connection. Call once, when no request is in flight.
    public func shutDown() async throws {
        for other in proxied.values { try? await other.shutdown() }
        try await client.shutdown()
    }

    /// Sends `request`; the ``HTTPTransport`` function.
    @Sendable public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let proxy: ProxySettings.Server?
        do {
            proxy = try proxies.server(for: request.url)
        } catch {
            throw ProviderError(error.code, "\(request.summary): \(error.message)", remedy: error.remedy)
        }
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        let nanoseconds = Int64(request.timeout.components.seconds) * 1_000_000_000
            + request.timeout.components.attoseconds / 1_000_000_000
        let deadline = NIODeadline.now() + .nanoseconds(nanoseconds)
        let client = proxy.flatMap { proxied[$0] } ?? client
        let prepared = outgoing
        do {
            // The client's deadline ends the wait for the response head; the body gets the rest of
            // the request's time here, so a server that answers and then stalls cannot hang a call.
            let arrived = Arrival()
            return try await withThrowingTaskGroup(of: HTTPResponse?.self) { group in
                group.addTask {
                    let response = try await client.execute(prepared, deadline: deadline)
                    let body = try await response.body.collect(upTo: HTTPClientTransport.maxBodyBytes)
                    let whole = HTTPResponse(
                        status: Int(response.status.code),
                        headers: response.headers.map { (name: $0.name.lowercased(), value: $0.value) },
                        body: Data(body.readableBytesView))
                    arrived.response.withLock { $0 = whole }
                    return whole
                }
                group.addTask {
                    try await Task.sleep(for: request.timeout)
                    return nil
                }
                defer { group.cancelAll() }
                if let first = try await group.next(), let response = first { return response }
                // The timeout came first; an answer that had arrived whole by then still counts. One
                // still dripping does not, even when the body's read ignores the cancellation and
                // finishes later (the group then waits for it, and the call still times out).
                group.cancelAll()
                if let whole = arrived.response.withLock({ $0 }) { return whole }
                throw HTTPClientError.deadlineExceeded
            }
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw HTTPClientTransport.classify(error, request: request, proxy: proxy)
        }
    }

    /// Maps a client error to a ``ProviderError`` that says what happened, never a header; a
    /// failure through a proxy says which (`host:port` and the variable, never its credentials).
    static func classify(_ error: any Error, request: HTTPRequest, proxy: ProxySettings.Server? = nil) -> ProviderError {
        guard let proxy else { return classify(error, request: request) }
        if let error = error as? HTTPClientError {
            switch error {
            case .proxyAuthenticationRequired:
                return ProviderError(
                    .unauthorized, "\(request.summary): \(proxy) asked for credentials (HTTP 407)",
                    remedy: "give them in \(proxy.variable) as http://user:password@host:port")
            case .invalidProxyResponse, .httpProxyHandshakeTimeout, .socksHandshakeTimeout:
                return ProviderError(
                    .connection, "\(request.summary): \(proxy) did not open a tunnel to the server",
                    remedy: "check \(proxy.variable), or list the host in NO_PROXY to go direct")
            default:
                break
            }
        }
        var failure = classify(error, request: request)
        guard failure.code == .connection else { return failure }
        failure.message += " (through \(proxy))"
        failure.remedy = "check that the proxy in \(proxy.variable) is up, or list the host in NO_PROXY to go direct"
        return failure
    }

    /// Maps a client error to a ``ProviderError`` that says what happened, never a header.
    static func classify(_ error: any Error, request: HTTPRequest) -> ProviderError {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return ProviderError(
                    .timeout, "\(request.summary): no answer within \(String(format: "%g", request.timeout.seconds)) s",
                    remedy: "raise the provider's timeout, or lower max_concurrency")
            case .connectTimeout:
                return ProviderError(
                    .connection, "\(request.summary): could not connect within 10 s",
                    remedy: "check that the server is running and base_url is right")
            case .invalidURL, .emptyHost, .emptyScheme:
                return ProviderError(.configuration, "\(request.summary): not a valid URL", remedy: "fix base_url")
            default:
                break
            }
        }
        if error is NIOTooManyBytesError {
            return ProviderError(.invalidResponse, "\(request.summary): the response is larger than 16 MiB")
        }
        if let error = error as? HTTPParserError, error == .invalidEOFState {
            return ProviderError(
                .connection, "\(request.summary): the response ended before its declared length (the server closed the connection mid-answer)",
                remedy: "the server or a proxy in front of it dropped the connection; run again later")
        }
        if let error = error as? HTTPClientError, error == .remoteConnectionClosed {
            return ProviderError(
                .connection, "\(request.summary): the server closed the connection before answering",
                remedy: "check that the server is running and base_url is right, or run again later")
        }
        return ProviderError(
            .connection, "\(request.summary): the connection failed (\(String(describing: type(of: error))): \(error))",
            remedy: "check that the server is running and base_url is right")
    }
}

/// A response that arrived whole, shared between a request's task and its timer.
private final class Arrival: Sendable {
    let response = Mutex<HTTPResponse?>(nil)
}
