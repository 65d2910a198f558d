import Basics

/// One message of a chat conversation.
public struct ChatMessage: Hashable, Sendable, Codable {
    /// Who speaks: `system`, `user` or `assistant`.
    public var role: Role
    public var content: String

    /// The speaker of a ``ChatMessage``.
    public enum Role: String, Hashable, Sendable, Codable {
        case system, user, assistant
    }

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }

    /// A system message.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    /// An assistant message (a prefilled or earlier answer).
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}

/// What a stage asks a provider: messages plus the settings that shape the answer.
///
/// `sampleIndex` is never sent; it tells apart repeated asks of the same question (a retry after
/// an unreadable answer), so that each has its own entry in a call cache.
public struct ChatRequest: Hashable, Sendable {
    public var messages: [ChatMessage]
    /// Overrides the provider's temperature when set.
    public var temperature: Double?
    /// Overrides the provider's `max_tokens` when set.
    public var maxTokens: Int?
    /// Ask for a JSON object (`response_format: {"type":"json_object"}` where the server has it).
    public var wantsJSON: Bool
    /// Which sample of the same messages this is (0 first).
    public var sampleIndex: Int

    public init(
        messages: [ChatMessage], temperature: Double? = nil, maxTokens: Int? = nil, wantsJSON: Bool = true,
        sampleIndex: Int = 0
    ) {
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.wantsJSON = wantsJSON
        self.sampleIndex = sampleIndex
    }
}

/// A provider's answer.
public struct ChatResponse: Hashable, Sendable {
    /// The text of the first choice.
    public var text: String
    public var usage: TokenUsage
    /// The model that answered, as the server names it (may differ from the one asked for).
    public var model: String?
    /// `stop`, `length`, … as the server says.
    public var finishReason: String?

    public init(text: String, usage: TokenUsage = TokenUsage(), model: String? = nil, finishReason: String? = nil) {
        self.text = text
        self.usage = usage
        self.model = model
        self.finishReason = finishReason
    }

    /// The response as JSON, the form a call cache stores.
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "text": .string(text),
            "usage": ["prompt_tokens": .int(usage.promptTokens), "completion_tokens": .int(usage.completionTokens)],
        ]
        if let model { object["model"] = .string(model) }
        if let finishReason { object["finish_reason"] = .string(finishReason) }
        return .object(object)
    }

    /// Reads a response back from ``jsonValue``; `nil` when it is not one.
    public init?(json: JSONValue) {
        guard let text = json["text"]?.stringValue else { return nil }
        self.init(
            text: text,
            usage: TokenUsage(
                promptTokens: json["usage"]?["prompt_tokens"]?.intValue ?? 0,
                completionTokens: json["usage"]?["completion_tokens"]?.intValue ?? 0),
            model: json["model"]?.stringValue, finishReason: json["finish_reason"]?.stringValue)
    }
}

/// Tokens a call used, as the server reported them (0 when it did not).
public struct TokenUsage: Hashable, Sendable {
    public var promptTokens: Int
    public var completionTokens: Int

    public init(promptTokens: Int = 0, completionTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    public var totalTokens: Int { promptTokens + completionTokens }

    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        TokenUsage(
            promptTokens: lhs.promptTokens + rhs.promptTokens, completionTokens: lhs.completionTokens + rhs.completionTokens)
    }
}

/// An LLM endpoint: answers one chat request.
///
/// Implementations retry transient failures themselves and throw ``ProviderError`` for the rest.
/// They are values or actors safe to call from many tasks at once.
public protocol LLMProvider: Sendable {
    /// Sends `request` and returns the answer.
    /// - Throws: ``ProviderError``; `CancellationError` when the task is cancelled.
    func complete(_ request: ChatRequest) async throws -> ChatResponse
}
