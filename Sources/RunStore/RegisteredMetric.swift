import Foundation

/// One immutable version of a registered metric: `name@version` and what it points at.
public struct RegisteredMetric: Hashable, Sendable {
    public var name: String
    public var version: Int
    /// The model folder's digest in the content cache (a tree object).
    public var modelDigest: String
    /// The evaluation report folder's digest, when there was one.
    public var reportDigest: String?
    public var project: String
    public var run: String
    /// The digest of the manifest the run came from.
    public var manifestDigest: String?
    /// Headline scores and metric details (output, labels, macro F1…) as JSON text.
    public var summary: String
    public var registeredAt: Date
    /// Aliases currently pointing at this version, sorted.
    public var aliases: [String]

    public init(
        name: String, version: Int, modelDigest: String, reportDigest: String?, project: String, run: String,
        manifestDigest: String?, summary: String, registeredAt: Date, aliases: [String] = []
    ) {
        self.name = name
        self.version = version
        self.modelDigest = modelDigest
        self.reportDigest = reportDigest
        self.project = project
        self.run = run
        self.manifestDigest = manifestDigest
        self.summary = summary
        self.registeredAt = registeredAt
        self.aliases = aliases
    }

    /// `name@version`.
    public var reference: String { "\(name)@\(version)" }
}
