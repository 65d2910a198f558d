/// The static identity (id and version) of a ``FakeTaskType``.
///
/// ``TaskInterface/TaskType`` declares `id` and `version` as static requirements, so a fake's id
/// lives in a type: `FakeTaskType<FakeTaskIDs.Train>` registers as `train`. Declare your own for
/// other ids or versions:
///
/// ```swift
/// enum TrainV2: FakeTaskIdentity { static let id = "train"; static let version = 2 }
/// let train = FakeTaskType<TrainV2>(recorder: recorder)
/// ```
public protocol FakeTaskIdentity: Sendable {
    static var id: String { get }
    static var version: Int { get }
}

extension FakeTaskIdentity {
    public static var version: Int { 1 }
}

/// Identities for every built-in task id, plus two neutral ones.
public enum FakeTaskIDs {
    public enum LoadDataset: FakeTaskIdentity { public static let id = "load-dataset" }
    public enum Split: FakeTaskIdentity { public static let id = "split" }
    public enum Generate: FakeTaskIdentity { public static let id = "generate" }
    public enum Import: FakeTaskIdentity { public static let id = "import" }
    public enum Label: FakeTaskIdentity { public static let id = "label" }
    public enum Train: FakeTaskIdentity { public static let id = "train" }
    public enum Evaluate: FakeTaskIdentity { public static let id = "evaluate" }
    public enum Register: FakeTaskIdentity { public static let id = "register" }
    public enum Exec: FakeTaskIdentity { public static let id = "exec" }
    public enum Alpha: FakeTaskIdentity { public static let id = "alpha" }
    public enum Beta: FakeTaskIdentity { public static let id = "beta" }

    /// The built-in stage task ids, in pipeline order.
    public static let builtin = [
        "load-dataset", "split", "generate", "import", "label", "train", "evaluate", "register", "exec",
    ]
}
