import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import RunStore
import Workspace

#if canImport(Glibc)
    import Glibc
#endif

/// `lunette serve`: the scoring API, the read-only dashboard and `/metrics` for one workspace.
///
/// ```swift
/// let server = try LunetteServer(workspace: workspace, configuration: ServerConfiguration(port: 0))
/// try await server.run { port in print("listening on \(port)") }
/// ```
/// Models are loaded once per `name@version` and kept warm; aliases are resolved per request, so
/// `lunette registry alias` takes effect without a restart. Cancel the task running ``run(onStarted:)``
/// to stop it. Slow clients cannot hold connections: one that sends no complete request part for
/// ``ServerConfiguration/idleTimeout`` is closed (a head sent a byte at a time), and so is one whose
/// request body is not whole ``ServerConfiguration/requestBodyTimeout`` after its head.
public struct LunetteServer: Sendable {
    public let workspace: Workspace
    public let configuration: ServerConfiguration
    public let metrics: ServerMetrics
    let cache: ModelCache

    /// - Throws: ``ServerConfigurationError`` when the configuration is refused (see ``ServerConfiguration/validate()``).
    public init(workspace: Workspace, configuration: ServerConfiguration) throws {
        try configuration.validate()
        self.workspace = workspace
        self.configuration = configuration
        metrics = ServerMetrics()
        cache = ModelCache(workspace: workspace, configuration: configuration, metrics: metrics)
    }

    /// Loads the models named by ``ServerConfiguration/metrics`` so the first requests are fast.
    /// - Throws: the workspace's error when one does not resolve or cannot be loaded.
    public func preload() async throws -> [String] {
        var loaded: [String] = []
        for reference in configuration.metrics {
            let metric = try workspace.registeredMetric(reference)
            _ = try await cache.batcher(for: metric)
            loaded.append(metric.reference)
        }
        return loaded
    }

    /// Serves until the task is cancelled (or the process gets SIGINT/SIGTERM).
    /// - Parameter onStarted: Called with the bound port once the server listens.
    /// - Throws: ``ServerConfigurationError`` naming the address and what to change when it cannot
    ///   listen (the port is taken, a privileged port, an address this machine does not have).
    public func run(onStarted: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let listening = ListeningFlag()
        let bodyTimeout = configuration.requestBodyTimeout
        let app = Application(
            router: makeRouter(),
            server: .http1(
                configuration: HTTP1Channel.Configuration(
                    additionalChannelHandlers: [RequestDeadlineHandler(timeout: bodyTimeout)],
                    idleTimeout: TimeAmount(configuration.idleTimeout))),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                    serverName: "lunette"),
            onServerRunning: { channel in
                listening.set()
                await onStarted(channel.localAddress?.port ?? 0)
            })
        do {
            try await app.runService()
        } catch let error where !listening.isSet && !(error is CancellationError) {
            throw Self.cannotListen(host: configuration.host, port: configuration.port, error)
        }
    }

    /// What failing to listen on `host:port` means, instead of NIO's `bind(descriptor:ptr:bytes:)`.
    static func cannotListen(host: String, port: Int, _ error: any Error) -> ServerConfigurationError {
        let address = "\(host.contains(":") ? "[\(host)]" : host):\(port)"
        guard let error = error as? IOError else {
            return ServerConfigurationError(
                "cannot listen on \(address): \(error)", remedy: "check --host (a name or address of this machine) and --port")
        }
        let reason = String(cString: strerror(error.errnoCode)).lowercased()
        let remedy: String
        switch error.errnoCode {
        case EADDRINUSE: remedy = "pick another --port (0 picks a free one), or stop the process that holds this one"
        case EACCES, EPERM: remedy = "ports below 1024 need privileges: pick --port 1024 or above"
        case EADDRNOTAVAIL: remedy = "--host must be an address of this machine (127.0.0.1 for this machine only)"
        default: remedy = "check --host and --port"
        }
        return ServerConfigurationError("cannot listen on \(address): \(reason)", remedy: remedy)
    }

    /// The routes.
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        if let token = configuration.token, !token.isEmpty { router.add(middleware: TokenMiddleware(token: token)) }
        let api = ScoringAPI(workspace: workspace, configuration: configuration, cache: cache, metrics: metrics)
        let dashboard = Dashboard(workspace: workspace)
        let workspace = workspace
        let metrics = metrics

        router.get("/healthz") { _, _ in JSONResponse.make(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            do {
                _ = try workspace.registeredMetrics()
                return JSONResponse.make(["status": "ready"])
            } catch {
                throw APIError(.serviceUnavailable, code: "not_ready", "cannot read the workspace's registry: \(error)")
            }
        }
        router.get("/metrics") { _, _ in
            JSONResponse.text(metrics.text(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/v1/metrics") { _, _ in try api.list() }
        router.post("/v1/metrics/:reference/score") { request, context in
            try await api.score(request, reference: Self.parameter("reference", context))
        }
        router.get("/") { _, _ in try dashboard.projects() }
        router.get("/registry") { _, _ in try dashboard.registry() }
        router.get("/projects/:project") { request, context in
            try dashboard.project(
                Self.parameter("project", context), status: request.uri.queryParameters.get("status"),
                metric: request.uri.queryParameters.get("metric"))
        }
        router.get("/runs/:project/:run") { _, context in
            try dashboard.run(project: Self.parameter("project", context), run: Self.parameter("run", context))
        }
        router.get("/runs/:project/:run/report") { _, context in
            try dashboard.report(project: Self.parameter("project", context), run: Self.parameter("run", context))
        }
        return router
    }

    /// The percent-decoded path parameter `name`.
    /// - Throws: ``APIError`` 400 `invalid_reference` (`invalid_path` for other parameters) when it holds a control character (`%00`,
    ///   `%0A`, …): the store reads names as C strings, so `toxicity%00x` would otherwise score
    ///   `toxicity`.
    static func parameter(_ name: String, _ context: BasicRequestContext) throws -> String {
        let raw = try context.parameters.require(name)
        let decoded = raw.removingPercentEncoding ?? raw
        if let control = decoded.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            let code = "U+" + String(format: "%04X", control.value)
            throw APIError(
                .badRequest, code: name == "reference" ? "invalid_reference" : "invalid_path",
                "the \(name) in the path holds a control character (\(code)): names, versions and aliases are plain text; "
                    + "remove it (and check how the URL was built)")
        }
        return decoded
    }
}

/// Whether the server got as far as listening: errors before that are about the address.
private final class ListeningFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
