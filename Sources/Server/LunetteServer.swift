import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import RunStore
import Workspace

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
    public func run(onStarted: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let bodyTimeout = configuration.requestBodyTimeout
        let app = Application(
            router: makeRouter(),
            server: .http1(
                configuration: HTTP1Channel.Configuration(
                    additionalChannelHandlers: [RequestDeadlineHandler(timeout: bodyTimeout)],
                    idleTimeout: TimeAmount(configuration.idleTimeout))),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                    serverName: "lunette"),
            onServerRunning: { channel in await onStarted(channel.localAddress?.port ?? 0) })
        try await app.runService()
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

    static func parameter(_ name: String, _ context: BasicRequestContext) throws -> String {
        let raw = try context.parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }
}
