import Basics

/// Where the `register` stage records a fine-tuned metric; the engine implements it over its store.
public protocol MetricRegistry: Sendable {
    /// Registers a model as the next version of `request.name`, or returns the version that already
    /// holds this model (registering the same model twice is idempotent).
    func register(_ request: RegistrationRequest) throws -> RegistrationResult

    /// Whether `name@version` is registered with the model `modelDigest`; `nil` when this registry
    /// can't say (the default), in which case a cached registration counts as holding.
    func holds(name: String, version: Int, modelDigest: ContentHash) -> Bool?
}

extension MetricRegistry {
    public func holds(name: String, version: Int, modelDigest: ContentHash) -> Bool? { nil }
}

/// What the `register` stage asks the registry to record.
public struct RegistrationRequest: Sendable, Hashable {
    public var name: String
    /// The model folder's content digest (it stays in the cache while registered).
    public var modelDigest: ContentHash
    public var reportDigest: ContentHash?
    public var project: String
    public var run: String
    /// The workspace-relative manifest path; the registry records its content digest.
    public var manifestPath: String
    /// Headline facts shown by `lunette registry list` (output, labels, macro F1…).
    public var summary: JSONValue

    public init(
        name: String, modelDigest: ContentHash, reportDigest: ContentHash?, project: String, run: String,
        manifestPath: String, summary: JSONValue
    ) {
        self.name = name
        self.modelDigest = modelDigest
        self.reportDigest = reportDigest
        self.project = project
        self.run = run
        self.manifestPath = manifestPath
        self.summary = summary
    }
}

/// The registered version.
public struct RegistrationResult: Sendable, Hashable {
    public var name: String
    public var version: Int
    /// `false` when this model was already registered under the name.
    public var isNew: Bool

    public init(name: String, version: Int, isNew: Bool) {
        self.name = name
        self.version = version
        self.isNew = isNew
    }
}
