import Basics
import Foundation

/// Speaks the OpenAI chat-completions protocol: `POST {base_url}/chat/completions`.
///
/// Covers OpenAI, Azure OpenAI's v1 endpoint, Groq, Together, vLLM, llama.cpp's `llama-server`,
/// Ollama and LM Studio. Asks for JSON with `response_format: {"type":"json_object"}` when the
/// request wants it; a server that refuses that with HTTP 400 is asked again without it, and the
/// provider stops sending it for the rest of its life. Answers are read with
/// ``ProviderResponseText/extractJSON(from:)`` by the caller, so code fences and chatter are fine.
public final class OpenAICompatibleProvider: LLMProvider {
    public let configuration: ProviderConfiguration
    private let apiKey: Secret?
    private let executor: HTTPCallExecutor
    private let jsonMode = JSONModeSupport()

    public init(configuration: ProviderConfiguration, apiKey: Secret?, runtime: ProviderRuntime) {
        self.configuration = configuration
        self.apiKey = apiKey
        executor = HTTPCallExecutor(
            runtime: runtime, maxConcurrency: configuration.maxConcurrency,
            requestsPerMinute: configuration.requestsPerMinute, secret: apiKey)
    }

    /// `{base_url}/chat/completions`.
    public var endpoint: String {
        let base = configuration.baseURL ?? ""
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/chat/completions"
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let useJSONMode = request.wantsJSON ? await jsonMode.isSupported : false
        do {
            return try await send(request, jsonMode: useJSONMode)
        } catch let error as ProviderError where useJSONMode && error.status == 400 {
            // The server does not know response_format (older llama.cpp, some gateways): ask plainly.
            let answer = try await send(request, jsonMode: false)
            await jsonMode.markUnsupported()
            executor.runtime.log("\(endpoint) refused response_format; asking for JSON in the prompt only")
            return answer
        }
    }

    private func send(_ request: ChatRequest, jsonMode: Bool) async throws -> ChatResponse {
        let http = HTTPRequest(
            method: "POST", url: endpoint, headers: headers(), body: body(request, jsonMode: jsonMode).canonicalData,
            timeout: configuration.timeout)
        let secret = apiKey
        return try await executor.send(http) { response in
            try OpenAICompatibleProvider.decode(response, request: http, secret: secret)
        }
    }

    func headers() -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Accept", "application/json")]
        for key in configuration.headers.keys.sorted() { headers.append((key, configuration.headers[key] ?? "")) }
        if let apiKey { headers.append(("Authorization", "Bearer " + apiKey.revealedValue)) }
        return headers
    }

    func body(_ request: ChatRequest, jsonMode: Bool) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(configuration.model ?? ""),
            "messages": .array(request.messages.map { ["role": .string($0.role.rawValue), "content": .string($0.content)] }),
        ]
        if let temperature = request.temperature ?? configuration.temperature { body["temperature"] = .double(temperature) }
        if let maxTokens = request.maxTokens ?? configuration.maxTokens { body["max_tokens"] = .int(maxTokens) }
        if jsonMode { body["response_format"] = ["type": "json_object"] }
        return .object(body)
    }

    /// Reads a chat-completions response; throws for non-2xx statuses and unreadable bodies.
    static func decode(_ response: HTTPResponse, request: HTTPRequest, secret: Secret?) throws(ProviderError) -> ChatResponse {
        try checkStatus(response, request: request, secret: secret)
        guard let json = try? JSONValue.parse(response.body) else {
            throw ProviderError(
                .invalidResponse, "\(request.summary): the response body is not JSON (\(response.body.count) bytes)",
                remedy: "check that base_url points at an OpenAI-compatible /v1 endpoint", status: response.status)
        }
        guard let message = json["choices"]?.arrayValue?.first?["message"] else {
            throw ProviderError(
                .invalidResponse, "\(request.summary): the response has no choices[0].message",
                remedy: "check that base_url points at an OpenAI-compatible /v1 endpoint", status: response.status)
        }
        let text = message["content"]?.stringValue ?? ""
        let usage = json["usage"]
        return ChatResponse(
            text: text,
            usage: TokenUsage(
                promptTokens: usage?["prompt_tokens"]?.intValue ?? 0,
                completionTokens: usage?["completion_tokens"]?.intValue ?? 0),
            model: json["model"]?.stringValue, finishReason: json["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue)
    }

    /// Throws the ``ProviderError`` for a 4xx status (retryable statuses never get here).
    static func checkStatus(_ response: HTTPResponse, request: HTTPRequest, secret: Secret?) throws(ProviderError) {
        guard !(200...299).contains(response.status) else { return }
        let detail = ProviderResponseText.errorDetail(response.body, redacting: secret)
        switch response.status {
        case 401, 403:
            throw ProviderError(
                .unauthorized, "\(request.summary): HTTP \(response.status)\(detail)",
                remedy: "check the key in the variable named by api_key_env", status: response.status)
        default:
            throw ProviderError(
                .badRequest, "\(request.summary): HTTP \(response.status)\(detail)",
                remedy: "check the provider's model and base_url", status: response.status)
        }
    }
}

/// Remembers whether a server accepts `response_format`.
actor JSONModeSupport {
    private(set) var isSupported = true
    func markUnsupported() { isSupported = false }
}
