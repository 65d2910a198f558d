import Basics
import Foundation
import _TestSupport
import Providers
import Testing

/// `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, with a scripted server standing in for the proxy and a
/// target host name that does not exist (`.invalid` never resolves), so only a proxy can reach it.
@Suite("Proxies from the environment")
struct ProxyTests {
    static let password = "pr0xy-PASS-canary"
    static let target = "http://llm.lunette-test.invalid/v1"

    /// Sends one chat request to `baseURL` with a transport reading `environment`.
    static func ask(_ baseURL: String, environment: [String: String], timeout: Duration = .seconds(5)) async throws
        -> ChatResponse
    {
        try await HTTPClientTransport.with(environment: environment) { transport in
            let configuration = ProviderConfiguration(
                name: "p", kind: .openAICompatible, baseURL: baseURL, model: "tiny", timeout: timeout)
            return try await OpenAICompatibleProvider(
                configuration: configuration, apiKey: nil, runtime: .testing(transport: transport.send, maxAttempts: 1)
            ).complete(ChatRequest(messages: [.user("x")]))
        }
    }

    /// A scripted proxy that notes each request line it gets.
    static func startProxy(_ reply: @escaping @Sendable (ScriptedRequest) -> ScriptedReply) async throws
        -> (ScriptedServer, LockedBox<[String]>)
    {
        let lines = LockedBox<[String]>([])
        let server = try await ScriptedServer.start { request in
            lines.set(lines.value + ["\(request.method) \(request.uri)"])
            return reply(request)
        }
        return (server, lines)
    }

    @Test func aRequestGoesToTheProxyWithItsCredentials() async throws {
        // A real proxy answers 502 to a CONNECT for a host it cannot resolve. (The scripted server
        // cannot carry a tunnel, so the request stops here.)
        let (proxy, lines) = try await Self.startProxy { _ in ScriptedReply(status: 502, headers: []) }
        defer { Task { try await proxy.stop() } }
        let environment = ["HTTP_PROXY": "http://lunette:\(Self.password)@127.0.0.1:\(proxy.port)"]
        let error = await #expect(throws: ProviderError.self) {
            try await Self.ask(Self.target, environment: environment)
        }
        // async-http-client tunnels every proxied request: CONNECT with the target's authority.
        #expect(lines.value == ["CONNECT llm.lunette-test.invalid:80"])
        let basic = Data("lunette:\(Self.password)".utf8).base64EncodedString()
        #expect(proxy.statistics.requestHeaders.first?["proxy-authorization"] == "Basic \(basic)")
        let failure = try #require(error)
        #expect(failure.code == .connection)
        #expect(failure.message.contains("the proxy 127.0.0.1:\(proxy.port) (HTTP_PROXY) did not open a tunnel"))
        #expect(!failure.description.contains(Self.password))
    }

    @Test(arguments: ["llm.lunette-test.invalid", ".lunette-test.invalid", "example.org, lunette-test.invalid", "*"])
    func noProxyGoesDirect(noProxy: String) async throws {
        let proxy = try await ScriptedServer.start { _ in ScriptedReply(status: 200, headers: []) }
        defer { Task { try await proxy.stop() } }
        let environment = ["HTTP_PROXY": "127.0.0.1:\(proxy.port)", "NO_PROXY": noProxy]
        let error = await #expect(throws: ProviderError.self) {
            try await Self.ask(Self.target, environment: environment, timeout: .seconds(1))
        }
        #expect(proxy.statistics.requestCount == 0)
        #expect(error.map { [.connection, .timeout].contains($0.code) } == true)
        #expect(error?.message.contains("proxy") == false)
    }

    @Test func loopbackServersAreNeverProxied() async throws {
        let proxy = try await ScriptedServer.start { _ in ScriptedReply(status: 502, headers: []) }
        defer { Task { try await proxy.stop() } }
        let answer = try await withScriptedServer({ _ in .chat("{\"direct\":true}") }) { server, _ in
            // A generous timeout: this answer must come, and a loaded CI machine (moto, the fault
            // proxy, fine-tuning tests beside it) once took more than 5 s to give it.
            try await Self.ask(
                server.baseURL,
                environment: ["http_proxy": "http://127.0.0.1:\(proxy.port)", "HTTPS_PROXY": "http://127.0.0.1:\(proxy.port)"],
                timeout: .seconds(60))
        }
        #expect(answer.text == "{\"direct\":true}")
        #expect(proxy.statistics.requestCount == 0)
    }

    @Test func aProxyAskingForCredentialsNamesItselfButNeverThePassword() async throws {
        let (proxy, lines) = try await Self.startProxy { _ in
            ScriptedReply(status: 407, headers: [("Proxy-Authenticate", "Basic")])
        }
        defer { Task { try await proxy.stop() } }
        let environment = ["https_proxy": "http://lunette:\(Self.password)@127.0.0.1:\(proxy.port)"]
        let error = await #expect(throws: ProviderError.self) {
            try await Self.ask("https://llm.lunette-test.invalid/v1", environment: environment)
        }
        let failure = try #require(error)
        #expect(failure.code == .unauthorized)
        #expect(failure.message.contains("the proxy 127.0.0.1:\(proxy.port) (https_proxy) asked for credentials"))
        #expect(lines.value == ["CONNECT llm.lunette-test.invalid:443"])
        for text in [failure.description, String(reflecting: failure), String(reflecting: ProxySettings(environment: environment))] {
            #expect(!text.contains(Self.password))
        }
    }

    @Test func aBadProxyVariableFailsOnlyTheRequestsThatUseIt() throws {
        let settings = ProxySettings(environment: ["HTTPS_PROXY": "ftp://u:\(Self.password)@proxy:21", "HTTP_PROXY": ""])
        #expect(try settings.server(for: "http://llm.example/v1") == nil)
        #expect(try settings.server(for: "https://127.0.0.1:8000/v1") == nil)
        #expect {
            try settings.server(for: "https://api.openai.com/v1")
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .configuration && error.message.contains("HTTPS_PROXY names a ftp:// proxy")
                && !error.description.contains(Self.password)
        }
    }

    @Test func variablesAreReadAsCurlReadsThem() throws {
        let settings = ProxySettings(environment: [
            "http_proxy": "http://lower:3128", "HTTP_PROXY": "http://upper:3128", "HTTPS_PROXY": "proxy.corp",
            "no_proxy": " .internal.corp , Example.ORG:8443,[::1]",
        ])
        #expect(try settings.server(for: "http://a.example/v1")?.host == "lower")
        let https = try #require(try settings.server(for: "https://api.openai.com/v1"))
        #expect(https.host == "proxy.corp" && https.port == 80 && https.variable == "HTTPS_PROXY")
        #expect(try settings.server(for: "https://llm.internal.corp/v1") == nil)
        #expect(try settings.server(for: "https://internal.corp/v1") == nil)
        #expect(try settings.server(for: "https://notinternal.corp/v1") != nil)
        #expect(try settings.server(for: "https://example.org:8443/v1") == nil)
        #expect(try settings.server(for: "https://example.org/v1") != nil)
        #expect(try settings.server(for: "http://localhost:11434/v1") == nil)
        #expect(try settings.server(for: "http://127.0.0.2:8080/v1") == nil)
        #expect(try settings.server(for: "http://[::1]:8080/v1") == nil)
        #expect(ProxySettings(environment: [:]).servers.isEmpty)
    }

    @Test func oneProxyNamedByBothVariablesIsOneServer() throws {
        let settings = ProxySettings(environment: ["http_proxy": "http://proxy.corp:3128", "HTTPS_PROXY": "proxy.corp:3128"])
        #expect(settings.servers.count == 1)
        #expect(settings.servers.first?.variable == "http_proxy")
        // Another port or other credentials are another proxy.
        #expect(ProxySettings(environment: ["http_proxy": "http://proxy.corp:3128", "https_proxy": "http://proxy.corp:3129"]).servers.count == 2)
        #expect(ProxySettings(environment: ["http_proxy": "http://a:x@proxy.corp:3128", "https_proxy": "http://b:y@proxy.corp:3128"]).servers.count == 2)
    }
}
