import Basics
import Foundation
import MLCore
import TaskInterface
import WorkflowModel

/// The `train` stage: turns the base model and labelled rows into a metric's model folder.
///
/// Inputs `rows` (training rows), `seeds` (the test set's seed rows, added to the training rows unless
/// `train.include_seeds: false`), `eval` (the split's eval rows: training rows that repeat one are
/// dropped and counted, see ``TrainLeakageFilter``; optional) and `base_model` (the installed model
/// folder). Params `metric` (`name`, `output`, `labels`, `step`, `input`, `prompt`), `seed` and `train`
/// (``TrainSettings``).
/// Output `model`: a folder (``ModelArtifact`` plus `metric.json`, see ``MetricModelInfo``, and
/// `training-curve.json`).
///
/// 1. Rows are checked (every one labelled with one of the metric's labels, every label present, at
///    least ``minimumRows``), rendered (``RowRendering``) and tokenised.
/// 2. A stratified, seeded validation slice (`validation_fraction`) is held out.
/// 3. `mode: head` fits a linear softmax head on frozen, memoised embeddings; `mode: full` fine-tunes
///    every layer with ``FineTuner``.
/// 4. For a boolean metric, the threshold that maximises F1 on the validation slice is stored beside 0.5.
///
/// The same rows, settings and seed give a byte-identical folder, whatever the thread count.
/// Documented in `Train.md`.
public struct Train: TaskType {
    public static let id = "train"
    /// 2: head mode encodes rows in fixed length-sorted chunks (a resumed run writes the same model).
    /// 3: a lone text's forward pass splits its products over the encoder's own threads instead of
    /// OpenBLAS's (other last bits for a one-row chunk; results no longer depend on other encoders).
    /// 4: training rows that repeat an eval row (new input `eval`) are dropped and counted
    /// (``TrainLeakageFilter``; `rows.dropped_eval_duplicates` in `metric.json`).
    public static let version = 4
    /// The fewest training rows (seeds included) the stage accepts.
    public static let minimumRows = 8

    public var pool: String? { "train" }
    public var statusWhileRunning: RunStatus? { .training }
    public var statusAfterSuccess: RunStatus? { .fineTuned }

    public init() {}

    public func run(_ context: StageContext) async throws -> StageResult {
        let settings = try TrainSettings(params: context.params, environment: context.environment)
        let metric = try TrainMetric(params: context.params, stage: context.stageID.description)
        let baseFolder = try context.input("base_model")
        let output = try context.output("model")

        var rows = try DatasetRows.read(from: context.input("rows"))
        let leakage = try TrainLeakageFilter.apply(to: &rows, context: context, format: metric.format)
        let trainingCount = rows.count
        if settings.includeSeeds, let seeds = context.inputs["seeds"] {
            rows += try DatasetRows.read(from: seeds)
        }
        let labels = try metric.labelIndices(of: rows, trainingRows: trainingCount)
        try checkCounts(labels, metric: metric)

        let encoder: BertEncoder
        do {
            encoder = try BertEncoder(modelDirectory: baseFolder, threads: settings.threads)
        } catch let error as MLCoreError {
            throw TaskError("cannot load the base model: \(error.message)", remedy: "install it: scripts/install-model minilm-l6")
        }
        guard let tokenizer = encoder.tokenizer else { throw TaskError("the base model has no tokenizer") }
        let rendering = RowRendering(format: metric.format, maxTokens: min(settings.maxTokens, encoder.configuration.maximumPositions))
        let inputs = try rows.map { try rendering.render($0, tokenizer: tokenizer) }
        let encodings = inputs.map { tokenizer.encode($0.text, pair: $0.pair, maxTokens: rendering.maxTokens) }
        let (trainIndices, validationIndices) = TrainValidationSplit.split(
            labels: labels, labelCount: metric.labels.count, fraction: settings.validationFraction, seed: settings.seed)
        try checkCounts(trainIndices.map { labels[$0] }, metric: metric, afterHoldingOut: validationIndices.count)
        let classWeights = try settings.resolvedClassWeights(counts: metric.labels.indices.map { label in
            trainIndices.filter { labels[$0] == label }.count
        })
        let digest = try TrainEmbeddingCache.modelDigest(of: baseFolder, memo: context.memo)
        context.reporter.log("train: \(settings.mode.rawValue) mode, \(trainIndices.count) training rows, "
            + "\(validationIndices.count) validation rows, \(metric.labels.count) labels, \(settings.threads) threads")

        let job = TrainJob(
            settings: settings, metric: metric, encoder: encoder, inputs: inputs, encodings: encodings, labels: labels,
            trainIndices: trainIndices, validationIndices: validationIndices, classWeights: classWeights, context: context,
            embeddings: TrainEmbeddingCache(memo: context.memo, modelDigest: digest, pooling: settings.pooling,
                                            maxTokens: rendering.maxTokens))
        let outcome = try settings.mode == .head ? job.trainHead() : job.trainFull()

        var threshold: MetricModelInfo.Threshold?
        if metric.isBoolean, let positive = metric.labels.firstIndex(of: "true") {
            threshold = MetricModelInfo.Threshold(positiveLabel: "true")
            if let best = TrainValidationSplit.bestF1Threshold(
                probabilities: outcome.validationProbabilities.map { $0[positive] },
                isPositive: validationIndices.map { labels[$0] == positive })
            {
                threshold?.tuned = best.threshold
                threshold?.tunedF1 = best.f1
            }
        }
        var perLabel: [String: JSONValue] = [:]
        for (index, name) in metric.labels.enumerated() { perLabel[name] = .int(labels.filter { $0 == index }.count) }
        var training = settings.jsonValue.objectValue ?? [:]
        if let weights = classWeights { training["resolved_class_weights"] = .array(weights.map(JSONValue.double)) }
        for (key, value) in outcome.extraSettings { training[key] = value }
        let info = MetricModelInfo(
            metric: metric.definition, labels: metric.labels, rendering: rendering, pooling: settings.pooling,
            mode: settings.mode, threshold: threshold, baseModelName: Self.baseModelName(of: baseFolder),
            baseModelDigest: digest.description, training: .object(training),
            rows: [
                "training": .int(trainIndices.count), "validation": .int(validationIndices.count),
                "per_label": .object(perLabel), "seeds_included": .int(rows.count - trainingCount),
                "dropped_eval_duplicates": leakage?.json ?? .null,
            ])
        do {
            try? FileManager.default.removeItem(at: output)
            try ModelArtifact.write(
                to: output, weights: outcome.weights, head: outcome.head, pooling: settings.pooling, labels: metric.labels,
                baseModelDirectory: baseFolder,
                extraFiles: [
                    MetricModelInfo.fileName: Data(info.jsonValue.prettyText.utf8),
                    "training-curve.json": Data(outcome.curve.prettyText.utf8),
                ])
        } catch let error as MLCoreError {
            throw TaskError("cannot write the model folder: \(error.message)")
        }
        var metrics: [String: JSONValue] = [
            "training_rows": .int(trainIndices.count), "validation_rows": .int(validationIndices.count),
            "mode": .string(settings.mode.rawValue),
        ]
        if let leakage { metrics["dropped_eval_duplicates"] = leakage.json }
        for (key, value) in outcome.metrics { metrics[key] = value }
        if let tuned = threshold?.tuned { metrics["threshold"] = .double(tuned) }
        return StageResult(summary: "trained \(metric.name) (\(settings.mode.rawValue) mode) on \(trainIndices.count) rows"
                               + outcome.summarySuffix + (leakage?.summarySuffix ?? ""), metrics: metrics)
    }

    /// Fails when a label has no rows or there are too few rows.
    private func checkCounts(_ labels: [Int], metric: TrainMetric, afterHoldingOut heldOut: Int? = nil) throws {
        guard heldOut != nil || labels.count >= Self.minimumRows else {
            throw TaskError("too few training rows: \(labels.count); training needs at least \(Self.minimumRows)",
                            remedy: "add labelled rows to the training set", code: .invalidInput)
        }
        for (index, name) in metric.labels.enumerated() where !labels.contains(index) {
            let context = heldOut.map { " after holding out \($0) validation rows" } ?? ""
            throw TaskError("label '\(name)' has no training rows\(context)",
                            remedy: "add rows labelled '\(name)' to the training set, or remove the label from the metric",
                            code: .invalidInput)
        }
    }

    /// The catalog name of a base model folder (the folder's own name when it is not in the catalog).
    static func baseModelName(of folder: URL) -> String {
        let name = folder.standardizedFileURL.lastPathComponent
        return BaseModel.catalog.first { $0.folder == name }?.name ?? name
    }
}
