import Basics
import Foundation
import _TestSupport
import Providers
import Testing

/// HTTP failures from servers that echo the credential back: the error's message, remedy,
/// description, debug description and the retry log never hold it.
@Suite("provider errors never show the key")
struct ProviderSecretsTests {
    static let key = "sk-lunette-canary-7f3a9c1e5b"

    /// How a misbehaving server echoes what it received.
    enum Echo: String, CaseIterable, Sendable {
        /// 401 `{"error":{"message":"Incorrect API key provided: Bearer KEY"}}`, not retried.
        case unauthorizedJSON
        /// 400 as plain text listing the request's headers.
        case badRequestText
        /// 500 with the key in the message, on every attempt: retried, then given up.
        case serverErrorJSON
        /// 429 with the key in `{"error":"…"}` and `Retry-After: 0`.
        case rateLimited
        /// 403 HTML page with the key where the 300-character cut falls.
        case forbiddenAtTheCut
        /// 200 whose body is not JSON but quotes the key.
        case okNotJSON
    }

    static func reply(_ echo: Echo, headers: [String: String]) -> ScriptedReply {
        let credential = headers["authorization"] ?? headers["x-api-key"] ?? ""
        let dump = headers.keys.sorted().map { "\($0): \(headers[$0] ?? "")" }.joined(separator: "\n")
        switch echo {
        case .unauthorizedJSON:
            return .json(#"{"error":{"message":"Incorrect API key provided: \#(credential)","type":"invalid_request_error"}}"#, status: 401)
        case .badRequestText:
            return ScriptedReply(status: 400, headers: [("Content-Type", "text/plain")], body: Data("bad request\n\(dump)\n".utf8))
        case .serverErrorJSON:
            return .json(#"{"error":{"message":"upstream failed for \#(credential)"}}"#, status: 500)
        case .rateLimited:
            return ScriptedReply(
                status: 429, headers: [("Content-Type", "application/json"), ("Retry-After", "0")],
                body: Data(#"{"error":"too many requests for key \#(credential)"}"#.utf8))
        case .forbiddenAtTheCut:
            let padding = String(repeating: "x", count: 290)
            return ScriptedReply(
                status: 403, headers: [("Content-Type", "text/html")], body: Data("<p>\(padding) \(credential) denied</p>".utf8))
        case .okNotJSON:
            return ScriptedReply(headers: [("Content-Type", "text/html")], body: Data("<html>hello \(credential)</html>".utf8))
        }
    }

    @Test(arguments: Echo.allCases, ProviderConfiguration.Kind.allCases.filter { $0 != .offline })
    func echoedCredentialsAreRedacted(echo: Echo, kind: ProviderConfiguration.Kind) async throws {
        let logs = LockedBox<[String]>([])
        let seen = LockedBox<[String: String]>([:])
        let error = try await withScriptedServer({ request in
            seen.set(request.headers)
            return Self.reply(echo, headers: request.headers)
        }) { server, transport -> ProviderError? in
            let configuration = ProviderConfiguration(
                name: "echo", kind: kind, baseURL: server.baseURL, model: "tiny", apiKeyVariable: "KEY")
            var runtime = ProviderRuntime.testing(transport: transport.send, maxAttempts: 3)
            runtime.log = { line in logs.set(logs.value + [line]) }
            let provider: any LLMProvider =
                kind == .anthropic
                ? AnthropicProvider(configuration: configuration, apiKey: Secret(Self.key), runtime: runtime)
                : OpenAICompatibleProvider(configuration: configuration, apiKey: Secret(Self.key), runtime: runtime)
            do {
                _ = try await provider.complete(ChatRequest(messages: [.user("hello")], wantsJSON: false))
                return nil
            } catch let error as ProviderError {
                return error
            }
        }
        // The key went out, so the echo really held it.
        let sent = seen.value
        #expect(sent["authorization"] == "Bearer \(Self.key)" || sent["x-api-key"] == Self.key)
        let failure = try #require(error)
        var dumped = ""
        dump(failure, to: &dumped)
        let texts = [
            failure.message, failure.remedy ?? "", failure.description, String(describing: failure),
            String(reflecting: failure), "\(failure)", dumped, (failure as any Error).localizedDescription,
        ] + logs.value
        for text in texts {
            #expect(!text.contains(Self.key), "\(echo) leaks the key: \(text)")
            #expect(!text.contains(String(Self.key.prefix(16))), "\(echo) leaks part of the key: \(text)")
        }
        #expect(failure.message.contains("POST "))
        if echo != .okNotJSON && echo != .forbiddenAtTheCut {
            #expect(failure.message.contains("<redacted>"), "\(failure.message)")
        }
    }

    @Test func aSecretNeverPrintsItselfInCollections() {
        let secret = Secret(Self.key)
        var dumped = ""
        dump(["k": secret], to: &dumped)
        for text in ["\([secret])", String(reflecting: [secret]), "\(Optional(secret) as Any)", dumped] {
            #expect(!text.contains(Self.key), "\(text)")
        }
    }
}
