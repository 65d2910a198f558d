import TaskInterface

extension TaskTypeRegistry {
    /// The task types that ship with Lunette: `load-dataset`, `split`, `generate`, `label`, `import`,
    /// `train`, `evaluate`, `register` and `exec`.
    ///
    /// `Commands` passes this to the engine; a library user can start from it and register more.
    public static var builtin: TaskTypeRegistry {
        TaskTypeRegistry([
            LoadDataset(), SplitDataset(), GenerateData(), LabelRows(), ImportTraces(), Train(), EvaluateModel(),
            RegisterMetric(), ExecCommand(),
        ])
    }
}
