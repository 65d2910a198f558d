import Basics

/// The task types an engine can run, by id.
///
/// The engine never builds one itself: `Commands` passes `TaskTypeRegistry.builtin` (from the
/// `TaskTypes` module), and a library user may pass their own.
public struct TaskTypeRegistry: Sendable {
    private var types: [String: any TaskType] = [:]

    public init(_ types: [any TaskType] = []) {
        for type in types { register(type) }
    }

    /// Adds (or replaces) a task type under its id, or under `id` when given (one type can serve
    /// several stage kinds, e.g. in tests).
    public mutating func register(_ type: any TaskType, as id: String? = nil) {
        types[id ?? type.id] = type
    }

    /// The task type with this id, if registered.
    public func taskType(id: String) -> (any TaskType)? { types[id] }

    /// Every registered id, sorted.
    public var ids: [String] { types.keys.sorted() }

    /// A "did you mean" hint for an unknown id.
    public func hint(forUnknown id: String) -> String? { Suggestion.hint(for: id, in: ids) }
}
