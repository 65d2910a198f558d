import Basics
import Foundation

/// Speaks the OpenAI chat-completions protocol: `POST {base_url}/chat/completions`.
///
/// Covers OpenAI, Azure OpenAI, Groq, Together, vLLM, llama.cpp's `llama-server`, Ollama and LM
/// Studio. Asks for JSON with `response_format: {"type":"json_object"}` when the request wants it.
/// Two HTTP 400s are answered by asking again once, and the provider remembers what worked:
/// - an error about `response_format` or JSON mode (older llama.cpp, some gateways): asked again
///   without it, never sent again;
/// - an error naming `max_tokens` or `max_completion_tokens`: asked again with the other name. The
///   limit goes out as `max_completion_tokens` to api.openai.com and to the o-series and gpt-5
///   models (which refuse `max_tokens`), as `max_tokens` elsewhere.
///
/// Any other 400 fails the call. The answer's text parts are joined (`content` may be a string or
/// an array of parts); a `refusal` is a `refused` error; `<think>…</think>` reasoning at the start is
/// dropped and `reasoning_content` ignored. The caller reads JSON with
/// ``ProviderResponseText/extractJSON(from:)``, so code fences and chatter are fine.
public final class OpenAICompatibleProvider: LLMProvider {
    public let configuration: ProviderConfiguration
    private let apiKey: Secret?
    private let executor: HTTPCallExecutor
    private let learned: LearnedDialect

    public init(configuration: ProviderConfiguration, apiKey: Secret?, runtime: ProviderRuntime) {
        self.configuration = configuration
        self.apiKey = apiKey
        executor = HTTPCallExecutor(
            runtime: runtime, maxConcurrency: configuration.maxConcurrency,
            requestsPerMinute: configuration.requestsPerMinute, secret: apiKey)
        learned = LearnedDialect(
            tokenLimitField: Self.defaultTokenLimitField(baseURL: configuration.baseURL, model: configuration.model))
    }

    /// `{base_url}/chat/completions`, a query in `base_url` kept at the end
    /// (`https://h/openai/deployments/d?api-version=2024-06-01` gives
    /// `https://h/openai/deployments/d/chat/completions?api-version=2024-06-01`).
    public var endpoint: String { Self.appending("chat/completions", to: configuration.baseURL ?? "") }

    /// `base` with `path` appended to its path; its query stays a query, a fragment is dropped.
    static func appending(_ path: String, to base: String) -> String {
        guard var components = URLComponents(string: base), components.host != nil else {
            return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/" + path
        }
        var basePath = components.percentEncodedPath
        while basePath.hasSuffix("/") { basePath.removeLast() }
        components.percentEncodedPath = basePath + "/" + path
        components.fragment = nil
        return components.string ?? base
    }

    /// Which name the token limit goes under.
    enum TokenLimitField: String, Sendable {
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"

        var other: TokenLimitField { self == .maxTokens ? .maxCompletionTokens : .maxTokens }
    }

    /// `max_completion_tokens` for OpenAI's own API and for the reasoning models (o1, o3-mini,
    /// o4-mini, gpt-5, gpt-5-mini, … also behind a `vendor/` prefix), which refuse `max_tokens`;
    /// `max_tokens`, which every compatible server knows, elsewhere.
    static func defaultTokenLimitField(baseURL: String?, model: String?) -> TokenLimitField {
        if let host = baseURL.flatMap({ URLComponents(string: $0)?.host?.lowercased() }), host == "api.openai.com" {
            return .maxCompletionTokens
        }
        let name = Substring((model ?? "").lowercased()).split(separator: "/").last ?? ""
        if name.hasPrefix("gpt-5") { return .maxCompletionTokens }
        if name.first == "o", let second = name.dropFirst().first, second.isNumber {
            let rest = name.dropFirst().drop { $0.isNumber }
            if rest.isEmpty || rest.first == "-" { return .maxCompletionTokens }
        }
        return .maxTokens
    }

    /// How one request is worded.
    struct Wording: Sendable {
        var jsonMode: Bool
        var tokenLimitField: TokenLimitField
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let maxTokens = request.maxTokens ?? configuration.maxTokens
        var wording = Wording(
            jsonMode: request.wantsJSON ? await learned.jsonMode : false, tokenLimitField: await learned.tokenLimitField)
        var switchedTokenLimit = false
        while true {
            do {
                let answer = try await send(request, wording: wording, maxTokens: maxTokens)
                await learned.remember(wording, wantedJSON: request.wantsJSON)
                return answer
            } catch let rejection as Rejection {
                if rejection.refusesTokenLimitField, maxTokens != nil, !switchedTokenLimit {
                    let (refused, other) = (wording.tokenLimitField.rawValue, wording.tokenLimitField.other.rawValue)
                    executor.runtime.log("\(endpoint) refused \(refused); asking again with \(other)")
                    wording.tokenLimitField = wording.tokenLimitField.other
                    switchedTokenLimit = true
                } else if rejection.namesResponseFormat, wording.jsonMode {
                    // The server does not know response_format (older llama.cpp, some gateways): ask plainly.
                    executor.runtime.log("\(endpoint) refused response_format; asking for JSON in the prompt only")
                    wording.jsonMode = false
                } else {
                    throw rejection.error
                }
            }
        }
    }

    private func send(_ request: ChatRequest, wording: Wording, maxTokens: Int?) async throws -> ChatResponse {
        let http = HTTPRequest(
            method: "POST", url: endpoint, headers: headers(),
            body: body(request, wording: wording, maxTokens: maxTokens).canonicalData, timeout: configuration.timeout)
        let secret = apiKey
        return try await executor.send(http) { response in
            if let rejection = Rejection(response, request: http, secret: secret) { throw rejection }
            return try OpenAICompatibleProvider.decode(response, request: http, secret: secret)
        }
    }

    func headers() -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Accept", "application/json")]
        for key in configuration.headers.keys.sorted() { headers.append((key, configuration.headers[key] ?? "")) }
        if let apiKey { headers.append(("Authorization", "Bearer " + apiKey.revealedValue)) }
        return headers
    }

    func body(_ request: ChatRequest, wording: Wording, maxTokens: Int?) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(configuration.model ?? ""),
            "messages": .array(request.messages.map { ["role": .string($0.role.rawValue), "content": .string($0.content)] }),
        ]
        if let temperature = request.temperature ?? configuration.temperature { body["temperature"] = .double(temperature) }
        if let maxTokens { body[wording.tokenLimitField.rawValue] = .int(maxTokens) }
        if wording.jsonMode { body["response_format"] = ["type": "json_object"] }
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
        let (text, refusal) = answerText(message)
        if let refusal {
            let quoted = refusal.count > 200 ? String(refusal.prefix(199)) + "…" : refusal
            throw ProviderError(
                .refused, "\(request.summary): the model refused to answer: \"\(quoted.replacingOccurrences(of: "\n", with: " "))\"",
                remedy: "reword the prompt or the rows it refused, or use another model", status: response.status)
        }
        let usage = json["usage"]
        return ChatResponse(
            text: ProviderResponseText.droppingReasoning(text),
            usage: TokenUsage(
                promptTokens: usage?["prompt_tokens"]?.intValue ?? 0,
                completionTokens: usage?["completion_tokens"]?.intValue ?? 0),
            model: json["model"]?.stringValue, finishReason: json["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue)
    }

    /// The answer in `message` and the model's refusal, if it refused.
    ///
    /// `content` is a string, or an array of parts whose `text`/`output_text` parts are joined; a
    /// `refusal` string (beside `content` or as a part) is a refusal. `reasoning_content` and
    /// `reasoning` (vLLM, Ollama, DeepSeek) are the model's thinking, not its answer: ignored.
    static func answerText(_ message: JSONValue) -> (text: String, refusal: String?) {
        var refusal = message["refusal"]?.stringValue
        var text = ""
        switch message["content"] {
        case .string(let content)?:
            text = content
        case .array(let parts)?:
            for part in parts {
                switch part["type"]?.stringValue {
                case "text"?, "output_text"?, nil: text += part["text"]?.stringValue ?? part.stringValue ?? ""
                case "refusal"?: refusal = refusal ?? part["refusal"]?.stringValue
                default: break
                }
            }
        default:
            break
        }
        if let given = refusal, given.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { refusal = nil }
        return (text, refusal)
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

/// An HTTP 400 with what its error names, so ``OpenAICompatibleProvider/complete(_:)`` can decide
/// whether to ask again worded otherwise.
struct Rejection: Error {
    var error: ProviderError
    /// The error refuses the token limit's field itself (`max_tokens` or `max_completion_tokens`
    /// is unsupported, unknown, an extra field, or the other name is to be used), not its value:
    /// "max_tokens (100000) is too large" is the caller's error, not a dialect to learn.
    var refusesTokenLimitField: Bool
    /// The error is about `response_format` or JSON mode.
    var namesResponseFormat: Bool

    /// `nil` unless `response` is a 400.
    init?(_ response: HTTPResponse, request: HTTPRequest, secret: Secret?) {
        guard response.status == 400 else { return nil }
        do {
            try OpenAICompatibleProvider.checkStatus(response, request: request, secret: secret)
            return nil
        } catch {
            self.error = error
        }
        let said = Rejection.errorText(response.body).lowercased()
        refusesTokenLimitField = Rejection.refusesTokenLimitField(said)
        namesResponseFormat = said.contains("response_format") || said.contains("json_object")
            || said.contains("json_schema") || said.contains("json mode")
    }

    /// Whether `said` (lowercased) names a token-limit field and refuses the field itself.
    static func refusesTokenLimitField(_ said: String) -> Bool {
        let fields = ["max_tokens", "max_completion_tokens"]
        guard fields.contains(where: { said.contains($0) }) else { return false }
        let refusals = [
            "unsupported", "not supported", "unrecognized", "unrecognised", "unknown", "unexpected keyword", "was unexpected",
            "not permitted", "additional properties", "extra field", "extra input",
        ]
        if refusals.contains(where: { said.contains($0) }) { return true }
        // "Use 'max_completion_tokens' instead", "please use `max_tokens`".
        return fields.contains { field in
            ["use ", "use '", "use `", "use \""].contains { said.contains($0 + field) }
        }
    }

    /// What the server said about the error: its message, `param`, and FastAPI's `detail[].loc`
    /// and `msg`, never an echo of the request (`detail[].input` repeats every field we sent).
    static func errorText(_ body: Data) -> String {
        guard let json = try? JSONValue.parse(body) else { return String(decoding: body.prefix(4096), as: UTF8.self) }
        var pieces: [String] = []
        for value in [json["error"]?["message"], json["error"]?["param"], json["error"], json["message"], json["detail"]] {
            if let text = value?.stringValue { pieces.append(text) }
        }
        for item in json["detail"]?.arrayValue ?? [] {
            pieces += (item["loc"]?.arrayValue ?? []).compactMap(\.stringValue)
            if let message = item["msg"]?.stringValue { pieces.append(message) }
        }
        return pieces.joined(separator: " ")
    }
}

/// What a provider has learnt of its server: whether it takes `response_format`, and the name it
/// wants for the token limit.
actor LearnedDialect {
    private(set) var jsonMode = true
    private(set) var tokenLimitField: OpenAICompatibleProvider.TokenLimitField

    init(tokenLimitField: OpenAICompatibleProvider.TokenLimitField) { self.tokenLimitField = tokenLimitField }

    /// Keeps the wording of a request that got an answer.
    func remember(_ wording: OpenAICompatibleProvider.Wording, wantedJSON: Bool) {
        if wantedJSON, !wording.jsonMode { jsonMode = false }
        tokenLimitField = wording.tokenLimitField
    }
}
