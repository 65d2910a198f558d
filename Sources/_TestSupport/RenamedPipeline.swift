import WorkflowModel

extension Pipeline {
    /// ``WorkflowModel/Pipeline/builtin`` with every stage renamed (`load` → `ingest`, `split` →
    /// `partition`, `load-training` → `fetch`, `generate` → `synthesize`, `label` → `annotate`, `import`
    /// → `harvest`, `train` → `fit`, `evaluate` → `score`, `register` → `publish`) and `train`'s task
    /// replaced by `distill`: for tests that nothing downstream knows the built-in names.
    public static var renamedForTests: Pipeline {
        let names = [
            "load": "ingest", "split": "partition", "load-training": "fetch", "generate": "synthesize",
            "label": "annotate", "import": "harvest", "train": "fit", "evaluate": "score", "register": "publish",
        ]
        func rename(_ name: String) -> String { names[name] ?? name }
        var pipeline = Pipeline.builtin
        pipeline.stages = pipeline.stages.map { stage in
            var copy = stage
            copy.name = rename(stage.name)
            if stage.task == "train" { copy.task = "distill" }
            copy.inputs = stage.inputs.mapValues { input in
                if case .stage(let producer, let output) = input { return .stage(rename(producer), output: output) }
                return input
            }
            return copy
        }
        pipeline.head = pipeline.head.map(rename)
        pipeline.tail = pipeline.tail.map(rename)
        pipeline.branches = pipeline.branches.mapValues { $0.map(rename) }
        return pipeline
    }
}
