import Basics
import Foundation
import _TestSupport
import Providers
import Testing

@Suite("Anthropic provider against a scripted server")
struct AnthropicProviderTests {
    @Test func speaksTheMessagesAPI() async throws {
        let seen = LockedBox<ScriptedRequest?>(nil)
        let answer = try await withScriptedServer({ request in
            seen.set(request)
            return .json(
                """
                {"id":"m","type":"message","model":"claude-x","content":[{"type":"text","text":"{\\"label\\":\\"true\\"}"}],\
                "stop_reason":"end_turn","usage":{"input_tokens":20,"output_tokens":4}}
                """)
        }) { server, transport in
            let configuration = ProviderConfiguration(
                name: "claude", kind: .anthropic, baseURL: server.baseURL, model: "claude-x",
                apiKeyVariable: "ANTHROPIC_API_KEY")
            return try await AnthropicProvider(
                configuration: configuration, apiKey: Secret("ak-1"), runtime: .testing(transport: transport.send)
            ).complete(ChatRequest(messages: [.system("judge"), .user("row")]))
        }
        #expect(answer.text == "{\"label\":\"true\"}")
        #expect(answer.usage == TokenUsage(promptTokens: 20, completionTokens: 4))
        let request = try #require(seen.value)
        #expect(request.uri == "/v1/messages")
        #expect(request.headers["x-api-key"] == "ak-1")
        #expect(request.headers["anthropic-version"] == AnthropicProvider.apiVersion)
        #expect(request.headers["authorization"] == nil)
        let body = try JSONValue.parse(request.body)
        #expect(body["system"] == "judge")
        #expect(body["messages"] == [["role": "user", "content": "row"]])
        #expect(body["max_tokens"] == 1024)
    }

    @Test func theEndpointKeepsABaseURLsQuery() {
        func endpoint(_ baseURL: String?) -> String {
            AnthropicProvider(
                configuration: ProviderConfiguration(name: "c", kind: .anthropic, baseURL: baseURL, model: "m"),
                apiKey: nil, runtime: .testing(transport: { _ in HTTPResponse(status: 500) })
            ).endpoint
        }
        #expect(endpoint(nil) == "https://api.anthropic.com/v1/messages")
        #expect(endpoint("https://gw.example/anthropic/v1/") == "https://gw.example/anthropic/v1/messages")
        #expect(endpoint("https://gw.example/anthropic?region=eu") == "https://gw.example/anthropic/messages?region=eu")
    }
}
