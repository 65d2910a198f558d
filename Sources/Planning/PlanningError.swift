/// A problem that stops planning: an unreadable lock, an unknown target.
public struct PlanningError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        let name: String
        public static let invalidLock = Code(name: "invalid-lock")
        public static let unknownTarget = Code(name: "unknown-target")
        public static let cycle = Code(name: "cycle")
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
