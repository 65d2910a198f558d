import Basics
import Foundation
import _TestSupport
@testable import Providers
import Testing

/// How the OpenAI-compatible provider copes with what current servers say and send, against
/// recorded response shapes (``RecordedResponses``) served by a scripted server.
@Suite("OpenAI-compatible dialects: token limits, 400s, content parts, refusals, reasoning")
struct OpenAIDialectTests {
    func provider(
        _ server: ScriptedServer, _ transport: HTTPClientTransport, model: String = "tiny", baseURL: String? = nil,
        maxTokens: Int? = 200
    ) -> OpenAICompatibleProvider {
        let configuration = ProviderConfiguration(
            name: "local", kind: .openAICompatible, baseURL: baseURL ?? server.baseURL, model: model, maxTokens: maxTokens)
        return OpenAICompatibleProvider(
            configuration: configuration, apiKey: nil, runtime: .testing(transport: transport.send, maxAttempts: 2))
    }

    /// The bodies a script saw, parsed.
    static func bodies(_ server: ScriptedServer) throws -> [JSONValue] {
        try server.statistics.requestBodies.map { try JSONValue.parse(Data($0.utf8)) }
    }

    // MARK: max_tokens / max_completion_tokens

    @Test(arguments: [
        ("https://api.openai.com/v1", "gpt-4.1-mini", "max_completion_tokens"),
        ("https://api.openai.com/v1/", "some-future-model", "max_completion_tokens"),
        ("https://gw.example/v1", "gpt-5", "max_completion_tokens"),
        ("https://gw.example/v1", "gpt-5-mini-2025-08-07", "max_completion_tokens"),
        ("https://gw.example/v1", "o1", "max_completion_tokens"),
        ("https://gw.example/v1", "o3-mini", "max_completion_tokens"),
        ("https://gw.example/v1", "O4-mini-2025-04-16", "max_completion_tokens"),
        ("https://openrouter.ai/api/v1", "openai/o3", "max_completion_tokens"),
        ("http://127.0.0.1:8000/v1", "Qwen/Qwen2.5-7B-Instruct", "max_tokens"),
        ("http://127.0.0.1:11434/v1", "qwen3:8b", "max_tokens"),
        ("https://api.groq.com/openai/v1", "llama-3.1-8b-instant", "max_tokens"),
        ("https://gw.example/v1", "omni-7b", "max_tokens"),
        ("https://gw.example/v1", "o", "max_tokens"),
    ])
    func tokenLimitNameFollowsTheServerAndModel(baseURL: String, model: String, expected: String) {
        #expect(OpenAICompatibleProvider.defaultTokenLimitField(baseURL: baseURL, model: model).rawValue == expected)
    }

    @Test func aReasoningModelGetsMaxCompletionTokens() async throws {
        let (answer, bodies) = try await withScriptedServer({ _ in .recorded(RecordedResponses.openAIReasoningModel) }) {
            server, transport in
            (try await provider(server, transport, model: "gpt-5-mini").complete(ChatRequest(messages: [.user("x")])),
             try Self.bodies(server))
        }
        #expect(answer.text == "{\"label\":\"false\",\"rationale\":\"The message is polite.\"}")
        #expect(answer.usage == TokenUsage(promptTokens: 86, completionTokens: 210))
        #expect(bodies.count == 1)
        #expect(bodies[0]["max_completion_tokens"] == 200)
        #expect(bodies[0]["max_tokens"] == nil)
    }

    @Test func maxTokensRefusedIsAskedAgainAsMaxCompletionTokensAndRemembered() async throws {
        // An Azure deployment's name says nothing of the model behind it: max_tokens goes first.
        let bodies = try await withScriptedServer({ request in
            request.bodyText.contains("\"max_tokens\"")
                ? .recorded(RecordedResponses.openAIMaxTokensUnsupported, status: 400)
                : .recorded(RecordedResponses.openAIReasoningModel)
        }) { server, transport in
            let provider = provider(server, transport, model: "my-deployment")
            _ = try await provider.complete(ChatRequest(messages: [.user("a")]))
            _ = try await provider.complete(ChatRequest(messages: [.user("b")]))
            return try Self.bodies(server)
        }
        #expect(bodies.count == 3)  // a with max_tokens, a with max_completion_tokens, b with it at once
        #expect(bodies[0]["max_tokens"] == 200)
        #expect(bodies[1]["max_completion_tokens"] == 200 && bodies[1]["max_tokens"] == nil)
        #expect(bodies[2]["max_completion_tokens"] == 200 && bodies[2]["max_tokens"] == nil)
        // The 400 was about the token limit, not JSON mode: response_format stays.
        #expect(bodies.allSatisfy { $0["response_format"] == ["type": "json_object"] })
    }

    @Test func maxCompletionTokensRefusedIsAskedAgainAsMaxTokens() async throws {
        let bodies = try await withScriptedServer({ request in
            request.bodyText.contains("max_completion_tokens")
                ? .recorded(RecordedResponses.azureMaxCompletionTokensUnknown, status: 400)
                : .chat("{}")
        }) { server, transport in
            _ = try await provider(server, transport, model: "o3-mini").complete(ChatRequest(messages: [.user("a")]))
            return try Self.bodies(server)
        }
        #expect(bodies.count == 2)
        #expect(bodies[0]["max_completion_tokens"] == 200)
        #expect(bodies[1]["max_tokens"] == 200 && bodies[1]["max_completion_tokens"] == nil)
    }

    @Test func theTokenLimitIsSwitchedOnlyOnce() async throws {
        // A server that refuses both names: two requests, then the 400 is the caller's.
        let (error, count) = try await withScriptedServer({ _ in
            .recorded(RecordedResponses.openAIMaxTokensUnsupported, status: 400)
        }) { server, transport in
            let error = await #expect(throws: ProviderError.self) {
                try await provider(server, transport).complete(ChatRequest(messages: [.user("a")], wantsJSON: false))
            }
            return (error, server.statistics.requestCount)
        }
        #expect(count == 2)
        #expect(error?.code == .badRequest)
        #expect(error?.status == 400)
        #expect(error?.message.contains("Use 'max_completion_tokens' instead") == true)
    }

    @Test func aTokenLimitTooLargeIsTheCallersErrorNotADialect() async throws {
        // vLLM/llama.cpp: the 400 names max_tokens but refuses its value, not the field.
        let (error, bodies) = try await withScriptedServer({ _ in
            .recorded(RecordedResponses.vLLMMaxTokensTooLarge, status: 400)
        }) { server, transport in
            let error = await #expect(throws: ProviderError.self) {
                try await provider(server, transport, maxTokens: 100000).complete(ChatRequest(messages: [.user("a")]))
            }
            return (error, try Self.bodies(server))
        }
        #expect(bodies.count == 1)
        #expect(bodies[0]["max_tokens"] == 100000 && bodies[0]["max_completion_tokens"] == nil)
        #expect(error?.code == .badRequest)
        #expect(error?.status == 400)
        #expect(error?.message.contains("max_tokens (100000) is too large; maximum context length is 8192") == true)
    }

    @Test(arguments: [
        ("Unsupported parameter: 'max_tokens' is not supported with this model.", true),
        ("Use 'max_completion_tokens' instead", true),
        ("Unrecognized request argument supplied: max_completion_tokens", true),
        ("body max_completion_tokens extra fields not permitted", true),
        ("body max_completion_tokens Extra inputs are not permitted", true),
        ("max_tokens (100000) is too large; maximum context length is 8192", false),
        ("max_tokens must be at least 1, got -5.", false),
        ("This model's maximum context length is 128000 tokens.", false),
    ])
    func onlyARefusedFieldSwitchesTheTokenLimitName(said: String, switches: Bool) {
        #expect(Rejection.refusesTokenLimitField(said.lowercased()) == switches)
    }

    // MARK: which 400s drop response_format

    @Test func anUnrelated400IsNotAskedAgainAndKeepsJSONMode() async throws {
        let (error, bodies) = try await withScriptedServer({ request in
            request.index == 0 ? .recorded(RecordedResponses.openAIContextLengthExceeded, status: 400) : .chat("{}")
        }) { server, transport in
            let provider = provider(server, transport)
            let error = await #expect(throws: ProviderError.self) {
                try await provider.complete(ChatRequest(messages: [.user("a very long prompt")]))
            }
            _ = try await provider.complete(ChatRequest(messages: [.user("b")]))
            return (error, try Self.bodies(server))
        }
        #expect(error?.code == .badRequest)
        #expect(error?.message.contains("maximum context length is 128000 tokens") == true)
        #expect(bodies.count == 2)  // a once (not retried), then b
        #expect(bodies[0]["response_format"] == ["type": "json_object"])
        #expect(bodies[1]["response_format"] == ["type": "json_object"])
    }

    @Test func aValidationErrorEchoingTheRequestIsNotMistakenForAParameterRefusal() async throws {
        let count = try await withScriptedServer({ _ in .recorded(RecordedResponses.fastAPIMissingField, status: 400) }) {
            server, transport in
            _ = await #expect(throws: ProviderError.self) {
                try await provider(server, transport).complete(ChatRequest(messages: [.user("a")]))
            }
            return server.statistics.requestCount
        }
        #expect(count == 1)
    }

    @Test func aJSONModeRefusalDropsResponseFormat() async throws {
        let bodies = try await withScriptedServer({ request in
            request.bodyText.contains("response_format")
                ? .recorded(RecordedResponses.lmStudioJSONObjectUnsupported, status: 400) : .chat("{\"a\":1}")
        }) { server, transport in
            let provider = provider(server, transport)
            _ = try await provider.complete(ChatRequest(messages: [.user("a")]))
            _ = try await provider.complete(ChatRequest(messages: [.user("b")]))
            return server.statistics.requestBodies
        }
        #expect(bodies.count == 3)
        #expect(bodies[0].contains("response_format"))
        #expect(!bodies[1].contains("response_format") && !bodies[2].contains("response_format"))
    }

    // MARK: what the answer is

    @Test(arguments: [
        (RecordedResponses.mistralContentParts, "{\"label\":\"true\",\"rationale\":\"It insults the reader.\"}"),
        (RecordedResponses.outputTextParts, "{\"label\":\"false\"}"),
    ])
    func contentPartsAreJoined(recorded: String, expected: String) async throws {
        let answer = try await withScriptedServer({ _ in .recorded(recorded) }) { server, transport in
            try await provider(server, transport).complete(ChatRequest(messages: [.user("x")]))
        }
        #expect(answer.text == expected)
    }

    @Test func aRefusalIsAPermanentErrorQuotingIt() async throws {
        let (error, count) = try await withScriptedServer({ _ in .recorded(RecordedResponses.openAIRefusal) }) {
            server, transport in
            let error = await #expect(throws: ProviderError.self) {
                try await provider(server, transport, model: "gpt-4o").complete(ChatRequest(messages: [.user("x")]))
            }
            return (error, server.statistics.requestCount)
        }
        #expect(count == 1)  // not retried
        #expect(error?.code == .refused)
        #expect(error?.isRetryable == false)
        #expect(error?.message.contains("the model refused to answer: \"I'm sorry, I can't assist with that request.\"") == true)
        #expect(error?.remedy != nil)
    }

    @Test func aLongRefusalIsShortened() {
        let long = String(repeating: "I cannot help with that. ", count: 40)
        let (text, refusal) = OpenAICompatibleProvider.answerText(
            ["role": "assistant", "content": .array([["type": "refusal", "refusal": .string(long)]])])
        #expect(text == "")
        #expect(refusal == long)
        let message = HTTPResponse(
            status: 200,
            body: JSONValue.object(["choices": [["message": ["role": "assistant", "content": .null, "refusal": .string(long)]]]])
                .canonicalData)
        #expect {
            try OpenAICompatibleProvider.decode(message, request: HTTPRequest(url: "http://h/v1/chat/completions"), secret: nil)
        } throws: { error in
            guard let error = error as? ProviderError, error.code == .refused else { return false }
            return error.message.contains("…\"") && error.message.count < 300
        }
    }

    @Test(arguments: [
        RecordedResponses.vLLMReasoningContent, RecordedResponses.ollamaThinkInline,
        RecordedResponses.ollamaReasoningField, RecordedResponses.llamaCppClosingTagOnly,
    ])
    func reasoningIsNotTheAnswer(recorded: String) async throws {
        let answer = try await withScriptedServer({ _ in .recorded(recorded) }) { server, transport in
            try await provider(server, transport).complete(ChatRequest(messages: [.user("x")]))
        }
        #expect(!answer.text.contains("think>"))
        #expect(!answer.text.contains("Okay") && !answer.text.contains("Let me"))
        let json = try #require(ProviderResponseText.extractJSON(from: answer.text))
        #expect(json["label"] == "false")
    }

    // MARK: the endpoint

    @Test(arguments: [
        ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1/chat/completions"),
        ("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1/chat/completions"),
        (
            "https://x.openai.azure.com/openai/deployments/d?api-version=2024-06-01",
            "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-06-01"
        ),
        ("https://gw.example/v1/?a=1&b=2#frag", "https://gw.example/v1/chat/completions?a=1&b=2"),
        ("https://gw.example/my%20models/v1", "https://gw.example/my%20models/v1/chat/completions"),
    ])
    func endpointAppendsThePathAndKeepsTheQuery(baseURL: String, expected: String) {
        let configuration = ProviderConfiguration(name: "p", kind: .openAICompatible, baseURL: baseURL, model: "m")
        let provider = OpenAICompatibleProvider(
            configuration: configuration, apiKey: nil, runtime: .testing(transport: { _ in HTTPResponse(status: 500) }))
        #expect(provider.endpoint == expected)
    }

    @Test func aBaseURLWithAQueryReachesTheServerWithIt() async throws {
        let seen = LockedBox<String>("")
        try await withScriptedServer({ request in
            seen.set(request.uri)
            return .chat("{}")
        }) { server, transport in
            _ = try await provider(server, transport, baseURL: server.baseURL + "?api-version=2024-06-01")
                .complete(ChatRequest(messages: [.user("x")]))
        }
        #expect(seen.value == "/v1/chat/completions?api-version=2024-06-01")
    }
}
