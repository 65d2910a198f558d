import ArgumentParser
import Foundation
import MLCore
import Server
import Workspace

/// `lunette serve`: the scoring API and the read-only dashboard over HTTP.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve registered metrics over HTTP (POST /v1/metrics/NAME[@VERSION|@ALIAS]/score) and a read-only dashboard.",
        discussion: """
            The dashboard is at /, Prometheus metrics at /metrics, health checks at /healthz and /readyz. Models load once and stay warm; concurrent requests are scored in shared batches. Aliases are resolved per request, so `lunette registry alias` takes effect without a restart. A registered model this cache lacks is fetched from the remote cache (lunette.yaml's `remote:`) when it is first asked for. With --token-env VAR every request but the health checks must send `Authorization: Bearer $VAR` (the dashboard accepts the token as a Basic password); the token is required when --host is not a loopback address.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0 picks a free one).") var port = 8080
    @Option(parsing: .upToNextOption, help: "Serve only these metrics (NAME@ALIAS …), loaded at start.") var metrics: [String] = []
    @Option(help: "The environment variable holding the bearer token.") var tokenEnv: String?
    @Option(help: "Encoder threads per model (default: LUNETTE_THREADS or 2).") var threads: Int?
    @Option(help: "The most rows one request may carry.") var maxRows = 1000
    @Option(help: "The largest request body, in bytes.") var maxBodyBytes = 1 << 20
    @Option(help: ArgumentHelp(
        "How long an idle model waits for more requests before scoring, in milliseconds.",
        discussion: "0 scores a lone request at once; requests that arrive while a batch is being scored are batched together next either way. A few ms can help when requests arrive in bursts."))
    var batchWindow: Double = 0

    func run() async throws {
        do {
            var token: String?
            if let tokenEnv {
                guard let value = ProcessInfo.processInfo.environment[tokenEnv], !value.isEmpty else {
                    throw ValidationError("--token-env \(tokenEnv): the variable is not set or empty; export it first")
                }
                token = value
            }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            guard batchWindow >= 0, batchWindow <= 1000 else {
                throw ValidationError("--batch-window \(batchWindow): give milliseconds from 0 to 1000 (default 0)")
            }
            let configuration = ServerConfiguration(
                host: host, port: port, token: token, metrics: metrics, maxBodyBytes: maxBodyBytes,
                maxRowsPerRequest: maxRows, maxQueuedRows: max(10_000, maxRows),
                batchWindow: .microseconds(Int64((batchWindow * 1000).rounded())),
                threads: threads ?? ThreadCount.fromEnvironment())
            let server: LunetteServer
            do {
                server = try LunetteServer(workspace: try global.workspace(), configuration: configuration)
            } catch let error as ServerConfigurationError {
                throw ValidationError(error.description)
            }
            for reference in try await server.preload() { printError("loaded \(reference)") }
            let host = host
            try await server.run { port in
                printError("lunette serve: listening on http://\(host.contains(":") ? "[\(host)]" : host):\(port)/")
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw CommandFailure.report(error)
        }
    }
}
