import Basics
import WorkflowModel
import Yams

extension ManifestReader {
    /// Reads one entry of `runs:`, applying `defaults`. Returns nil when the run has an error.
    func readRun(_ entry: MappingNode.Entry, defaults: Defaults) -> Run? {
        let runName = name(entry.keyNode, entry.keyPath, pattern: ManifestSchema.runNamePattern, what: "run name")
        guard let map = mapping(entry.value, entry.keyPath, allowed: ManifestSchema.runKeys, owner: entry.keyNode)
        else { return nil }
        let errorsBefore = diagnostics.filter(\.isError).count

        let register = map["register"].map { bool($0.value, $0.keyPath) } ?? defaults.register ?? true
        let seed = map["seed"].map { int($0.value, $0.keyPath) } ?? defaults.seed ?? ManifestSchema.defaultSeed
        let provider = map["provider"].map { providerReference($0.value, $0.keyPath) } ?? defaults.provider

        let metric: Metric?
        if let item = map["metric"] { metric = readMetric(item) } else {
            metric = nil
            reportMissing("metric", in: map, hint: "a preset name such as 'toxicity', or {name, prompt, output, labels}")
        }
        let testSet: DatasetSource?
        if let item = map["test_set"] {
            testSet = readDataset(item, extensions: ["csv", "jsonl"])?.source
        } else {
            testSet = nil
            reportMissing("test_set", in: map, hint: "the path of the hand-labelled rows (.csv or .jsonl)")
        }
        let trainingSet: TrainingSet?
        if let item = map["training_set"] {
            trainingSet = readTrainingSet(item, metric: metric, runProvider: provider)
        } else {
            trainingSet = nil
            reportMissing("training_set", in: map, hint: "one of 'upload: PATH', 'generate: {...}' or 'import: PATH'")
        }
        if let metric, metric.prompt == nil, let trainingSet, trainingSet.needsJudge, let item = map["metric"] {
            error("metric '\(metric.name)' needs a 'prompt': its '\(trainingSet.kind)' training set is labelled "
                  + "by the judge", at: item.value, item.keyPath,
                  hint: "add prompt: \"...\" telling the judge what to decide and to answer with a label")
        }

        let baseModel: String?
        if let item = map["base_model"] {
            baseModel = self.baseModel(item.value, item.keyPath)
        } else if let inherited = defaults.baseModel {
            baseModel = inherited.name
        } else {
            baseModel = ManifestSchema.defaultBaseModel
            checkInstalled(ManifestSchema.defaultBaseModel, at: entry.keyNode, entry.keyPath.appendingKey("base_model"))
        }

        var train = defaults.train
        var ownTrain: Set<String> = []
        if let item = map["train"] {
            let own = readTrain(item, labels: metric?.labels)
            ownTrain = Set(own.keys)
            train.merge(own) { _, run in run }
        }
        _ = checkMerged(train, section: "train", labels: metric?.labels, fromDefaults: Set(train.keys).subtracting(ownTrain),
                        at: map["train"]?.keyNode ?? entry.keyNode, entry.keyPath.appendingKey("train"))
        var gate = defaults.gate
        if let item = map["gate"] { gate.merge(readGate(item)) { _, run in run } }
        var split = defaults.split
        if let item = map["split"] { split.merge(readSplit(item)) }
        let seedFraction = split.seedFraction ?? ManifestSchema.defaultSeedFraction

        let builtins = Pipeline.builtin.stageNames(for: trainingSet?.shape, register: register ?? true)
        let stages = map["stages"].map { readStages($0, run: runName ?? entry.key, builtins: builtins, labels: metric?.labels) } ?? []

        guard diagnostics.filter(\.isError).count == errorsBefore, let runName, let metric, let testSet,
              let trainingSet, let baseModel, let seed, let register
        else { return nil }
        return Run(
            name: runName, metric: metric, testSet: testSet, trainingSet: trainingSet, baseModel: baseModel,
            train: train, gate: gate, seed: seed, provider: provider, register: register,
            seedFraction: seedFraction, groupBy: split.groupBy, stages: stages,
            location: source.location(of: entry.keyNode))
    }

    /// `split:` settings, in a run or in `defaults`; a run's own keys win key by key.
    struct SplitSettings {
        /// `seed_fraction`, strictly between 0 and 1; nil when not written.
        var seedFraction: Double?
        /// `group_by`: the test set's column naming each row's group; nil when not written.
        var groupBy: String?

        /// Takes every key `other` sets.
        mutating func merge(_ other: SplitSettings) {
            if let value = other.seedFraction { seedFraction = value }
            if let value = other.groupBy { groupBy = value }
        }
    }

    /// `split: {seed_fraction: 0.2, group_by: conversation_id}`. A key with an error is left unset (the
    /// error is recorded, so the run is not built).
    func readSplit(_ entry: MappingNode.Entry) -> SplitSettings {
        let read = readSettings(entry, section: "split", labels: nil).settings
        return SplitSettings(seedFraction: read["seed_fraction"]?.doubleValue, groupBy: read["group_by"]?.stringValue)
    }
}
