/// A problem talking to a remote cache, with how to fix it. Never holds a credential.
public struct RemoteError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        let name: String
        /// No usable credentials.
        public static let credentials = Code(name: "credentials")
        /// The remote's settings are wrong (a URL that is not s3:// or a folder, a literal key in a file).
        public static let settings = Code(name: "settings")
        /// The server refused or failed the request after the retries (the HTTP status is in the message).
        public static let request = Code(name: "request")
        /// The connection failed or timed out after the retries.
        public static let connection = Code(name: "connection")
        /// A downloaded object does not hash to its name (truncated, corrupt or substituted).
        public static let corrupt = Code(name: "corrupt")
        /// A folder remote could not be read or written.
        public static let io = Code(name: "io")
    }

    public var code: Code
    public var message: String
    public var remedy: String?

    public init(_ code: Code, _ message: String, remedy: String? = nil) {
        self.code = code
        self.message = message
        self.remedy = remedy
    }

    public var description: String { remedy.map { "\(message)\n  fix: \($0)" } ?? message }
}
