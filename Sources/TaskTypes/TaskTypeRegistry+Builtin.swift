import TaskInterface

extension TaskTypeRegistry {
    /// The task types that ship with Lunette: `load-dataset`, `split` and `exec` (generate, label,
    /// train, evaluate and register join as they are written).
    ///
    /// `Commands` passes this to the engine; a library user can start from it and register more.
    public static var builtin: TaskTypeRegistry {
        TaskTypeRegistry([LoadDataset(), SplitDataset(), ExecCommand()])
    }
}
