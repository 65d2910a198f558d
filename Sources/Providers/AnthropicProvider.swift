import Basics
import Foundation

/// Speaks Anthropic's Messages API: `POST {base_url}/messages` with `x-api-key` and
/// `anthropic-version` headers.
///
/// System messages go in the top-level `system` field; `max_tokens` is required by the API and
/// defaults to 1024. There is no JSON mode: the prompt asks for JSON and the caller extracts it.
public final class AnthropicProvider: LLMProvider {
    public let configuration: ProviderConfiguration
    private let apiKey: Secret?
    private let executor: HTTPCallExecutor

    /// The API version sent in `anthropic-version`.
    public static let apiVersion = "2023-06-01"
    public static let defaultMaxTokens = 1024

    public init(configuration: ProviderConfiguration, apiKey: Secret?, runtime: ProviderRuntime) {
        self.configuration = configuration
        self.apiKey = apiKey
        executor = HTTPCallExecutor(
            runtime: runtime, maxConcurrency: configuration.maxConcurrency,
            requestsPerMinute: configuration.requestsPerMinute, secret: apiKey)
    }

    /// `{base_url}/messages`, a query in `base_url` kept at the end.
    public var endpoint: String {
        OpenAICompatibleProvider.appending("messages", to: configuration.baseURL ?? ProviderConfiguration.defaultAnthropicURL)
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("anthropic-version", AnthropicProvider.apiVersion),
        ]
        for key in configuration.headers.keys.sorted() { headers.append((key, configuration.headers[key] ?? "")) }
        if let apiKey { headers.append(("x-api-key", apiKey.revealedValue)) }
        let http = HTTPRequest(
            method: "POST", url: endpoint, headers: headers, body: body(request).canonicalData, timeout: configuration.timeout)
        let secret = apiKey
        return try await executor.send(http) { response in
            try AnthropicProvider.decode(response, request: http, secret: secret)
        }
    }

    func body(_ request: ChatRequest) -> JSONValue {
        let system = request.messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n\n")
        var body: [String: JSONValue] = [
            "model": .string(configuration.model ?? ""),
            "max_tokens": .int(request.maxTokens ?? configuration.maxTokens ?? AnthropicProvider.defaultMaxTokens),
            "messages": .array(
                request.messages.filter { $0.role != .system }.map {
                    ["role": .string($0.role.rawValue), "content": .string($0.content)]
                }),
        ]
        if !system.isEmpty { body["system"] = .string(system) }
        if let temperature = request.temperature ?? configuration.temperature { body["temperature"] = .double(temperature) }
        return .object(body)
    }

    static func decode(_ response: HTTPResponse, request: HTTPRequest, secret: Secret?) throws(ProviderError) -> ChatResponse {
        try OpenAICompatibleProvider.checkStatus(response, request: request, secret: secret)
        guard let json = try? JSONValue.parse(response.body), let content = json["content"]?.arrayValue else {
            throw ProviderError(
                .invalidResponse, "\(request.summary): the response is not a Messages API answer",
                remedy: "check base_url (https://api.anthropic.com/v1)", status: response.status)
        }
        let text = content.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }.joined()
        return ChatResponse(
            text: text,
            usage: TokenUsage(
                promptTokens: json["usage"]?["input_tokens"]?.intValue ?? 0,
                completionTokens: json["usage"]?["output_tokens"]?.intValue ?? 0),
            model: json["model"]?.stringValue, finishReason: json["stop_reason"]?.stringValue)
    }
}
