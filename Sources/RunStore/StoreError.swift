/// A run-store operation that failed, with the database file and how to fix it.
///
/// GRDB's errors never leave this module: they are wrapped here, with the original as ``cause``.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. New codes may be added later.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case busy, corrupt, newerSchema = "newer schema", notFound = "not found", invalidRow = "invalid row"
            case database
        }
        private let value: Value

        /// Another process held the database longer than the busy timeout.
        public static let busy = Code(value: .busy)
        /// The database file is damaged or not a database.
        public static let corrupt = Code(value: .corrupt)
        /// The database was migrated by a newer Lunette with migrations this one does not know.
        public static let newerSchema = Code(value: .newerSchema)
        /// The invocation or stage execution id does not exist.
        public static let notFound = Code(value: .notFound)
        /// A row holds a value this version can't read (e.g. an unknown run status).
        public static let invalidRow = Code(value: .invalidRow)
        /// Any other SQLite failure (disk full, permissions, …).
        public static let database = Code(value: .database)

        public var description: String { value.rawValue }

        /// Lets `catch StoreError.Code.busy { … }` match a thrown ``StoreError``.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? StoreError)?.code == code
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, phrased as a fact.
    public var message: String
    /// The database file (`:memory:` for an in-memory store).
    public var path: String
    /// How to fix it.
    public var remedy: String
    /// The underlying error, when there is one (SQL arguments are not included in its description).
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, path: String, remedy: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.remedy = remedy
        self.cause = cause
    }

    /// `<message> ('<path>'); <remedy>`.
    public var description: String { "\(message) ('\(path)'); \(remedy)" }

    /// ``description`` plus the underlying cause, for `--verbose`.
    public func detailedDescription() -> String {
        guard let cause else { return description }
        return description + "\ncaused by: \(cause)"
    }
}
