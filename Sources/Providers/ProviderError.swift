/// A provider call that failed, or a provider that cannot be set up.
///
/// Messages say what happened and where (`POST http://…/chat/completions: HTTP 429`) and never hold
/// a credential or a request header. ``isRetryable`` says whether a retry may succeed.
public struct ProviderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Code
    /// What went wrong, safe to show.
    public var message: String
    /// What to do about it.
    public var remedy: String?
    /// The HTTP status, when the server answered.
    public var status: Int?
    /// How long the server asked us to wait (`Retry-After`), when it did.
    public var retryAfter: Duration?

    /// Why a call failed; codes may be added later.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        /// HTTP 429.
        public static let rateLimited = Code(name: "rate-limited")
        /// HTTP 5xx.
        public static let serverError = Code(name: "server-error")
        /// No complete answer within the request timeout.
        public static let timeout = Code(name: "timeout")
        /// The connection could not be made or broke (refused, reset, truncated body).
        public static let connection = Code(name: "connection")
        /// HTTP 401/403.
        public static let unauthorized = Code(name: "unauthorized")
        /// Another HTTP 4xx.
        public static let badRequest = Code(name: "bad-request")
        /// The body was not the JSON the protocol promises.
        public static let invalidResponse = Code(name: "invalid-response")
        /// A credential is missing or unreadable.
        public static let credentials = Code(name: "credentials")
        /// The manifest's provider settings are wrong.
        public static let configuration = Code(name: "configuration")
        /// The provider cannot do what was asked (the offline provider cannot judge).
        public static let unsupported = Code(name: "unsupported")
        /// The model declined to answer (OpenAI's `refusal`); asking again gets the same.
        public static let refused = Code(name: "refused")

        public var description: String { name }
    }

    public init(
        _ code: Code, _ message: String, remedy: String? = nil, status: Int? = nil, retryAfter: Duration? = nil
    ) {
        self.code = code
        self.message = message
        self.remedy = remedy
        self.status = status
        self.retryAfter = retryAfter
    }

    /// Whether the same request may succeed later: 429, 5xx, timeouts, broken connections and
    /// garbled bodies.
    public var isRetryable: Bool {
        [.rateLimited, .serverError, .timeout, .connection, .invalidResponse].contains(code)
    }

    public var description: String {
        remedy.map { "\(message)\n  fix: \($0)" } ?? message
    }
}
