/// A stage's identity: `<project>/<run>/<stage>`.
public struct StageID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var project: String
    public var run: String
    public var stage: String

    public init(project: String, run: String, stage: String) {
        self.project = project
        self.run = run
        self.stage = stage
    }

    /// Parses `project/run/stage`.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.init(project: parts[0], run: parts[1], stage: parts[2])
    }

    public var description: String { "\(project)/\(run)/\(stage)" }
    /// `project/run`.
    public var runPath: String { "\(project)/\(run)" }

    /// Orders by project, then run, then stage (comparing the parts, not a joined string: it is
    /// called in every sort of a plan).
    public static func < (lhs: StageID, rhs: StageID) -> Bool {
        if lhs.project != rhs.project { return lhs.project < rhs.project }
        if lhs.run != rhs.run { return lhs.run < rhs.run }
        return lhs.stage < rhs.stage
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = StageID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad stage id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
