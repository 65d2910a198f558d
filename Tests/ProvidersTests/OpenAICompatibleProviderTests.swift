import Basics
import Foundation
import _TestSupport
import Providers
import Testing

@Suite("OpenAI-compatible provider against a scripted server")
struct OpenAICompatibleProviderTests {
    static let fakeKey = "sk-test-FAKE-0123456789"

    func provider(
        _ server: ScriptedServer, _ transport: HTTPClientTransport, sleeper: SleepRecorder = SleepRecorder(),
        maxAttempts: Int = 4, configure: (inout ProviderConfiguration) -> Void = { _ in }
    ) -> OpenAICompatibleProvider {
        var configuration = ProviderConfiguration(
            name: "local", kind: .openAICompatible, baseURL: server.baseURL, model: "tiny", apiKeyVariable: "KEY",
            temperature: 0.5, maxTokens: 200)
        configure(&configuration)
        return OpenAICompatibleProvider(
            configuration: configuration, apiKey: Secret(Self.fakeKey),
            runtime: .testing(transport: transport.send, sleeper: sleeper, maxAttempts: maxAttempts))
    }

    @Test func sendsTheProtocolAndReadsTheAnswer() async throws {
        let seen = LockedBox<ScriptedRequest?>(nil)
        let response = try await withScriptedServer({ request in
            seen.set(request)
            return .chat("{\"ok\":true}", promptTokens: 12, completionTokens: 3)
        }) { server, transport in
            try await provider(server, transport).complete(
                ChatRequest(messages: [.system("be terse"), .user("hi")]))
        }
        #expect(response.text == "{\"ok\":true}")
        #expect(response.usage == TokenUsage(promptTokens: 12, completionTokens: 3))
        let request = try #require(seen.value)
        #expect(request.method == "POST")
        #expect(request.uri == "/v1/chat/completions")
        #expect(request.headers["authorization"] == "Bearer \(Self.fakeKey)")
        let body = try JSONValue.parse(request.body)
        #expect(body["model"] == "tiny")
        #expect(body["temperature"] == .double(0.5))
        #expect(body["max_tokens"] == 200)
        #expect(body["response_format"] == ["type": "json_object"])
        #expect(body["messages"] == [["role": "system", "content": "be terse"], ["role": "user", "content": "hi"]])
    }

    @Test func honoursRetryAfterOn429() async throws {
        let sleeper = SleepRecorder()
        let (answer, count) = try await withScriptedServer({ request in
            request.index == 0
                ? ScriptedReply(status: 429, headers: [("Retry-After", "3")], body: Data("{\"error\":{\"message\":\"slow down\"}}".utf8))
                : .chat("fine")
        }) { server, transport in
            (try await provider(server, transport, sleeper: sleeper).complete(ChatRequest(messages: [.user("x")])),
             server.statistics.requestCount)
        }
        #expect(answer.text == "fine")
        #expect(count == 2)
        #expect(sleeper.sleeps == [.seconds(3)])
    }

    @Test func retriesServerErrorsWithJitteredBackoff() async throws {
        let sleeper = SleepRecorder()
        let count = try await withScriptedServer({ request in
            request.index < 2 ? .json("{\"error\":\"boom\"}", status: 500) : .chat("ok")
        }) { server, transport in
            _ = try await provider(server, transport, sleeper: sleeper).complete(ChatRequest(messages: [.user("x")]))
            return server.statistics.requestCount
        }
        #expect(count == 3)
        #expect(sleeper.sleeps.count == 2)
        // Full jitter: attempt n waits within 0 … 100 ms × 2ⁿ.
        #expect(sleeper.sleeps[0] <= .milliseconds(100))
        #expect(sleeper.sleeps[1] <= .milliseconds(200))
    }

    @Test func givesUpAfterMaxAttemptsNamingTheStatus() async throws {
        await #expect {
            try await withScriptedServer({ _ in .json("{\"error\":{\"message\":\"overloaded\"}}", status: 503) }) {
                server, transport in
                try await provider(server, transport, maxAttempts: 3).complete(ChatRequest(messages: [.user("x")]))
            }
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .serverError && error.status == 503 && error.message.contains("HTTP 503: overloaded")
                && error.message.contains("gave up after 3 attempts")
        }
    }

    @Test func fallsBackWithoutResponseFormatWhenRefused() async throws {
        let bodies = try await withScriptedServer({ request in
            request.bodyText.contains("response_format")
                ? .json("{\"error\":{\"message\":\"unknown field response_format\"}}", status: 400) : .chat("{}")
        }) { server, transport in
            let provider = provider(server, transport)
            _ = try await provider.complete(ChatRequest(messages: [.user("a")]))
            _ = try await provider.complete(ChatRequest(messages: [.user("b")]))
            return server.statistics.requestBodies
        }
        #expect(bodies.count == 3)  // a with, a without, b without
        #expect(bodies[0].contains("response_format"))
        #expect(!bodies[1].contains("response_format"))
        #expect(!bodies[2].contains("response_format"))
    }

    @Test func slowAnswersTimeOutAndAreRetried() async throws {
        await #expect {
            try await withScriptedServer({ _ in ScriptedReply(body: Data("{}".utf8), delay: .seconds(2)) }) {
                server, transport in
                try await provider(server, transport, maxAttempts: 2) { $0.timeout = .milliseconds(200) }
                    .complete(ChatRequest(messages: [.user("x")]))
            }
        } throws: { error in
            (error as? ProviderError)?.code == .timeout
        }
    }

    @Test func anAnswerDrippedPastTheTimeoutTimesOut() async throws {
        // The head comes at once, the body a few bytes every 100 ms: the timeout covers the body too.
        await #expect {
            try await withScriptedServer({ _ in
                var reply = ScriptedReply.chat("a long and slow answer")
                reply.drip = .init(chunkBytes: 8, pause: .milliseconds(100))
                return reply
            }) { server, transport in
                try await provider(server, transport, maxAttempts: 1) { $0.timeout = .milliseconds(300) }
                    .complete(ChatRequest(messages: [.user("x")]))
            }
        } throws: { error in
            (error as? ProviderError)?.code == .timeout
                && (error as? ProviderError)?.message.contains("no answer within 0.3 s") == true
        }
    }

    @Test func aBodyCutShortSaysSo() async throws {
        await #expect {
            try await withScriptedServer({ _ in ScriptedReply(body: Data("{\"choices\":[{\"mess".utf8), truncate: true) }) {
                server, transport in
                try await provider(server, transport, maxAttempts: 1).complete(ChatRequest(messages: [.user("x")]))
            }
        } throws: { error in
            (error as? ProviderError)?.code == .connection
                && (error as? ProviderError)?.message.contains("the response ended before its declared length") == true
        }
    }

    @Test func invalidJSONAndTruncatedBodiesAreRetried() async throws {
        let (answer, count) = try await withScriptedServer({ request in
            switch request.index {
            case 0: return .json("this is not json")
            case 1: return ScriptedReply(body: Data("{\"choices\":[{\"mess".utf8), truncate: true)
            default: return .chat("third time lucky")
            }
        }) { server, transport in
            (try await provider(server, transport).complete(ChatRequest(messages: [.user("x")])),
             server.statistics.requestCount)
        }
        #expect(answer.text == "third time lucky")
        #expect(count == 3)
    }

    @Test func unauthorizedIsNotRetriedAndNeverShowsTheKey() async throws {
        let (error, count) = try await withScriptedServer({ _ in
            .json("{\"error\":{\"message\":\"Incorrect API key provided: \(Self.fakeKey)\"}}", status: 401)
        }) { server, transport in
            var caught: ProviderError?
            do {
                _ = try await provider(server, transport).complete(ChatRequest(messages: [.user("x")]))
            } catch let error as ProviderError {
                caught = error
            }
            return (caught, server.statistics.requestCount)
        }
        let failure = try #require(error)
        #expect(failure.code == .unauthorized)
        #expect(count == 1)
        #expect(!failure.description.contains(Self.fakeKey))
        #expect(!String(reflecting: failure).contains(Self.fakeKey))
        #expect(failure.description.contains("<redacted>"))
    }

    @Test func boundsRequestsInFlight() async throws {
        let peak = try await withScriptedServer({ _ in
            var reply = ScriptedReply.chat("ok")
            reply.delay = .milliseconds(60)
            return reply
        }) { server, transport in
            let provider = provider(server, transport) { $0.maxConcurrency = 3 }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    group.addTask { _ = try await provider.complete(ChatRequest(messages: [.user("\(index)")])) }
                }
                try await group.waitForAll()
            }
            return server.statistics.maxInFlight
        }
        #expect(peak == 3)
    }

    @Test func rateLimitSpacesRequests() async throws {
        let sleeper = SleepRecorder(isVirtual: false)
        let started = ContinuousClock.now
        try await withScriptedServer({ _ in .chat("ok") }) { server, transport in
            let configuration = ProviderConfiguration(
                name: "local", kind: .openAICompatible, baseURL: server.baseURL, model: "tiny",
                requestsPerMinute: 1200)
            let provider = OpenAICompatibleProvider(
                configuration: configuration, apiKey: nil,
                runtime: ProviderRuntime(transport: transport.send, sleep: sleeper.sleep))
            for index in 0..<6 { _ = try await provider.complete(ChatRequest(messages: [.user("\(index)")])) }
        }
        // 1,200 a minute = one every 50 ms: six requests span at least five intervals.
        #expect(ContinuousClock.now - started >= .milliseconds(240))
    }
}

/// A value shared with a server script.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func set(_ value: Value) { lock.withLock { stored = value } }
}
