import Basics

/// A provider's settings as a manifest declares them (`providers: { NAME: {kind, base_url, …} }`),
/// typed. Holds the *name* of the variable with the key, never the key.
public struct ProviderConfiguration: Sendable, Hashable {
    /// The three protocols Lunette speaks.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case openAICompatible = "openai-compatible"
        case anthropic
        case offline
    }

    public var name: String
    public var kind: Kind
    /// `http(s)://host/v1`; for anthropic `https://api.anthropic.com/v1` by default.
    public var baseURL: String?
    public var model: String?
    /// The environment variable holding the key. Anthropic defaults to `ANTHROPIC_API_KEY`; an
    /// openai-compatible provider without one sends no `Authorization` header (local servers).
    public var apiKeyVariable: String?
    public var temperature: Double?
    public var maxTokens: Int?
    public var maxConcurrency: Int
    public var requestsPerMinute: Double?
    /// Per-request timeout.
    public var timeout: Duration
    /// Extra headers (never credentials; the manifest loader refuses those).
    public var headers: [String: String]

    public static let defaultAnthropicURL = "https://api.anthropic.com/v1"
    public static let defaultMaxConcurrency = 4
    public static let defaultTimeout: Duration = .seconds(120)

    public init(
        name: String, kind: Kind, baseURL: String? = nil, model: String? = nil, apiKeyVariable: String? = nil,
        temperature: Double? = nil, maxTokens: Int? = nil, maxConcurrency: Int = ProviderConfiguration.defaultMaxConcurrency,
        requestsPerMinute: Double? = nil, timeout: Duration = ProviderConfiguration.defaultTimeout,
        headers: [String: String] = [:]
    ) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.model = model
        self.apiKeyVariable = apiKeyVariable
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.maxConcurrency = max(1, maxConcurrency)
        self.requestsPerMinute = requestsPerMinute
        self.timeout = timeout
        self.headers = headers
    }

    /// Reads the `provider` parameter a stage receives: `{name, kind, base_url, model,
    /// api_key_env, temperature, max_tokens, max_concurrency, requests_per_minute, timeout, headers}`.
    /// - Throws: ``ProviderError`` with code `configuration` naming the bad key.
    public init(json: JSONValue) throws(ProviderError) {
        guard case .object(let settings) = json else {
            throw ProviderError(
                .configuration, "no provider is configured",
                remedy: "declare one under providers: and name it with provider: on the run or in defaults")
        }
        let name = settings["name"]?.stringValue ?? "provider"
        func bad(_ key: String, _ expected: String) -> ProviderError {
            ProviderError(.configuration, "providers.\(name).\(key) must be \(expected)", remedy: "fix providers.\(name).\(key) in the manifest")
        }
        guard let kindText = settings["kind"]?.stringValue else { throw bad("kind", "a string") }
        guard let kind = Kind(rawValue: kindText) else {
            throw bad("kind", Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.init(name: name, kind: kind)
        baseURL = settings["base_url"]?.stringValue
        model = settings["model"]?.stringValue
        apiKeyVariable = settings["api_key_env"]?.stringValue ?? (kind == .anthropic ? "ANTHROPIC_API_KEY" : nil)
        if let value = settings["temperature"] {
            guard let number = value.doubleValue else { throw bad("temperature", "a number") }
            temperature = number
        }
        if let value = settings["max_tokens"] {
            guard let number = value.intValue, number >= 1 else { throw bad("max_tokens", "an integer ≥ 1") }
            maxTokens = number
        }
        if let value = settings["max_concurrency"] {
            guard let number = value.intValue, number >= 1 else { throw bad("max_concurrency", "an integer ≥ 1") }
            maxConcurrency = number
        }
        if let value = settings["requests_per_minute"] {
            guard let number = value.doubleValue, number > 0 else { throw bad("requests_per_minute", "a number > 0") }
            requestsPerMinute = number
        }
        if let value = settings["timeout"] {
            guard let number = value.doubleValue, number > 0 else { throw bad("timeout", "a number of seconds > 0") }
            timeout = .seconds(number)
        }
        if let value = settings["headers"] {
            guard case .object(let members) = value else { throw bad("headers", "a mapping of strings") }
            for (key, member) in members {
                guard let text = member.stringValue else { throw bad("headers.\(key)", "a string") }
                guard !HTTPRequest.redactedHeaderNames.contains(key.lowercased()) else {
                    throw bad("headers.\(key)", "not a credential header (use api_key_env)")
                }
                headers[key] = text
            }
        }
        switch kind {
        case .openAICompatible:
            guard let url = baseURL, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw bad("base_url", "an http:// or https:// URL")
            }
            guard model != nil else { throw bad("model", "a model name") }
        case .anthropic:
            guard model != nil else { throw bad("model", "a model name") }
        case .offline:
            break
        }
    }

    /// Whether calls need a key: anthropic always; openai-compatible when `api_key_env` is set.
    public var needsKey: Bool { kind != .offline && apiKeyVariable != nil }

    /// The settings that shape an answer, for call-cache keys: kind, URL, model. Never the key.
    public var identity: JSONValue {
        var object: [String: JSONValue] = ["kind": .string(kind.rawValue)]
        if let baseURL { object["base_url"] = .string(baseURL) }
        if let model { object["model"] = .string(model) }
        return .object(object)
    }
}
