import Foundation

/// How an ``Executor`` runs a plan.
public struct ExecutionOptions: Sendable {
    /// At most this many stages at once (`--jobs`).
    public var jobs: Int
    /// After a failure, keep running everything that does not depend on it (`--keep-going`).
    public var keepGoing: Bool
    /// Resource pool → depth. A stage whose task type names a pool takes one of its slots; a pool not
    /// set here has depth 1.
    public var pools: [String: Int]

    public init(jobs: Int = 2, keepGoing: Bool = false, pools: [String: Int] = [:]) {
        self.jobs = max(1, jobs)
        self.keepGoing = keepGoing
        self.pools = pools
    }
}
