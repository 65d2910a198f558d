/// A content-cache operation that failed, with the path involved and how to fix it.
///
/// Match on the ``code``: `catch let error as CacheError where error.code == .corrupt`, or with the
/// pattern `catch CacheError.Code.corrupt`.
public struct CacheError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. New codes may be added later.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case corrupt, missing, unsafePath = "unsafe path", io
        }
        private let value: Value

        /// An object's bytes do not match its digest; it was moved to `quarantine/`.
        public static let corrupt = Code(value: .corrupt)
        /// An object or file that should exist does not.
        public static let missing = Code(value: .missing)
        /// A path would leave the directory it belongs to (a symlink or tree entry pointing outside),
        /// or is not a regular file or directory.
        public static let unsafePath = Code(value: .unsafePath)
        /// The file system refused an operation (permissions, full disk, …).
        public static let io = Code(value: .io)

        public var description: String { value.rawValue }

        /// Lets `catch CacheError.Code.corrupt { … }` match a thrown ``CacheError``.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? CacheError)?.code == code
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, phrased as a fact.
    public var message: String
    /// The file the failure concerns.
    public var path: String
    /// How to fix it.
    public var remedy: String
    /// The underlying error, when there is one.
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, path: String, remedy: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.remedy = remedy
        self.cause = cause
    }

    /// `<message> (<path>); <remedy>`.
    public var description: String { "\(message) ('\(path)'); \(remedy)" }

    /// ``description`` plus the underlying cause, for `--verbose`.
    public func detailedDescription() -> String {
        guard let cause else { return description }
        return description + "\ncaused by: \(cause)"
    }
}
