import Foundation
import Hummingbird

/// Requires the bearer token on every request but the health checks.
///
/// Browsers cannot send a bearer header without script, so the dashboard also accepts HTTP Basic
/// with the token as the password (the browser asks for it once).
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/healthz" || path == "/readyz" { return try await next(request, context) }
        if let header = request.headers[.authorization], accepts(header) { return try await next(request, context) }
        if path.hasPrefix("/v1/") || path == "/metrics" {
            throw APIError(
                .unauthorized, code: "unauthorized", "send the server's token as `Authorization: Bearer TOKEN`",
                headers: [.wwwAuthenticate: "Bearer"])
        }
        var response = JSONResponse.html(
            HTML.page(title: "Sign in", body: "<p>This dashboard needs the server's token as the password.</p>"),
            status: .unauthorized)
        response.headers[.wwwAuthenticate] = "Basic realm=\"lunette\", charset=\"UTF-8\""
        return response
    }

    private func accepts(_ header: String) -> Bool {
        if header.hasPrefix("Bearer ") { return tokensEqual(String(header.dropFirst(7)), token) }
        if header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6))),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        {
            return tokensEqual(String(text[text.index(after: colon)...]), token)
        }
        return false
    }
}

/// Compares two secrets in time independent of where they differ.
func tokensEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var difference = UInt8(x.count == y.count ? 0 : 1)
    for index in 0..<max(x.count, y.count) {
        difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
    }
    return difference == 0
}

/// Counts requests and records their latency by route.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        let route = Self.route(request.uri.path)
        do {
            let response = try await next(request, context)
            metrics.request(route: route, status: response.status.code, duration: clock.now - start)
            return response
        } catch let error as any HTTPResponseError {
            metrics.request(route: route, status: error.status.code, duration: clock.now - start)
            throw error
        } catch {
            metrics.request(route: route, status: 500, duration: clock.now - start)
            throw error
        }
    }

    /// A bounded label: the route's shape, not its parameters.
    static func route(_ path: String) -> String {
        if path.hasPrefix("/v1/metrics/") && path.hasSuffix("/score") { return "score" }
        if path == "/v1/metrics" { return "list" }
        if path == "/healthz" || path == "/readyz" || path == "/metrics" { return String(path.dropFirst()) }
        if path.hasPrefix("/v1/") { return "api_other" }
        return "dashboard"
    }
}
