import Basics
import Foundation
import MLCore
import Scoring
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
///    least ``minimumRows``), rendered (``RowRendering``) and tokenised. Training rows that repeat an
///    eval row, or exactly repeat a seed row that is added anyway, are dropped first.
/// 2. With `validation_fraction` (0 by default), a stratified, seeded validation slice is held out.
/// 3. Model selection on out-of-fold predictions (``TrainJob/train()``): `mode: head` fits a linear
///    softmax head on frozen, memoised embeddings, its L2 chosen by k-fold cross-validation; `mode: full`
///    fine-tunes every layer with ``FineTuner``, its epoch count chosen by k-fold cross-validation within
///    a budget; `mode: auto` (the default) cross-validates both on the same folds and keeps the better.
///    The final model is refitted on every training row.
/// 4. For a boolean metric, the run's ``ThresholdPolicy`` picks the threshold on the same out-of-fold
///    predictions (or the validation slice), shrunk toward 0.5 on thin evidence; stored beside 0.5.
///
/// The same rows, settings and seed give a byte-identical folder, whatever the thread count.
/// Documented in `Train.md`.
public struct Train: TaskType {
    public static let id = "train"
    /// 2: head mode encodes rows in fixed length-sorted chunks (a resumed run writes the same model).
    /// 3: a lone text's forward pass splits its products over the encoder's own threads instead of
    /// OpenBLAS's (other last bits for a one-row chunk; results no longer depend on other encoders).
    /// 4: training rows that repeat an eval row (new input `eval`) are dropped and counted
    /// (``TrainLeakageFilter``; `rows.dropped_eval_duplicates` in `metric.json`), as are training rows that
    /// exactly repeat an included seed row; model selection by k-fold cross-validation and refit on every
    /// row (`mode: auto`, `cv_folds`, `threshold` policies; `validation_fraction` 0 by default).
    /// 5: head mode over a pair reads ``HeadFeatures/pair`` (`pair_features`, on by default).
    public static let version = 5
    /// The fewest training rows (seeds included) the stage accepts.
    public static let minimumRows = 8

    public var pool: String? { "train" }
    public var statusWhileRunning: RunStatus? { .training }
    public var statusAfterSuccess: RunStatus? { .fineTuned }
    /// The run is `data ready` once the stage that makes the training rows succeeds.
    public var statusWhenInputProduced: [String: RunStatus] { ["rows": .dataReady] }

    public init() {}

    public func run(_ context: StageContext) async throws -> StageResult {
        let settings = try TrainSettings(params: context.params, environment: context.environment)
        let metric = try TrainMetric(params: context.params, stage: context.stageID.description)
        let baseFolder = try context.input("base_model")
        let output = try context.output("model")

        var rows = try DatasetRows.read(from: context.input("rows"))
        let leakage = try TrainLeakageFilter.apply(to: &rows, context: context, format: metric.format)
        let seeds = try settings.includeSeeds ? context.inputs["seeds"].map(DatasetRows.read(from:)) ?? [] : []
        let seedRepeats = TrainLeakageFilter.dropSeedRepeats(from: &rows, seeds: seeds, format: metric.format)
        if !seedRepeats.isEmpty {
            context.reporter.log("train: dropped \(seedRepeats.count) training rows that repeat a seed row, which is "
                + "added to training anyway (\(TrainLeakageFilter.Report.rowList(seedRepeats)))")
        }
        let trainingCount = rows.count
        rows += seeds
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
        var sides: (inputs: [TextInput], encodings: [Encoding])?
        if settings.pairFeatures, settings.mode != .full, rendering.isPair {
            let pairs = try rows.map { try rendering.sides($0) ?? ("", "") }
            let texts = pairs.map(\.first) + pairs.map(\.second)
            sides = (texts.map { TextInput($0) }, texts.map { tokenizer.encode($0, maxTokens: rendering.maxTokens) })
        }
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
            settings: settings, metric: metric, encoder: encoder, inputs: inputs, encodings: encodings, sides: sides, labels: labels,
            trainIndices: trainIndices, validationIndices: validationIndices, classWeights: classWeights, context: context,
            embeddings: TrainEmbeddingCache(memo: context.memo, modelDigest: digest, pooling: settings.pooling,
                                            maxTokens: rendering.maxTokens))
        let (outcome, mode, comparison) = try job.train()
        let threshold = chooseThreshold(outcome, settings: settings, metric: metric, labels: labels,
                                        trainIndices: trainIndices, validationIndices: validationIndices, reporter: context.reporter)
        var perLabel: [String: JSONValue] = [:]
        for (index, name) in metric.labels.enumerated() { perLabel[name] = .int(labels.filter { $0 == index }.count) }
        var training = settings.jsonValue.objectValue ?? [:]
        if !rendering.isPair { training["pair_features"] = nil }  // only pairs have sides: other metrics keep their bytes
        if let weights = classWeights { training["resolved_class_weights"] = .array(weights.map(JSONValue.double)) }
        for (key, value) in outcome.extraSettings { training[key] = value }
        training["cross_validation_folds"] = .int(outcome.folds)
        if let comparison { training["auto_mode"] = comparison }
        let info = MetricModelInfo(
            metric: metric.definition, labels: metric.labels, rendering: rendering, pooling: settings.pooling,
            headFeatures: outcome.headFeatures, mode: mode, threshold: threshold, baseModelName: Self.baseModelName(of: baseFolder),
            baseModelDigest: digest.description, training: .object(training), members: outcome.members.count + 1,
            rows: [
                "training": .int(trainIndices.count), "validation": .int(validationIndices.count),
                "per_label": .object(perLabel), "seeds_included": .int(rows.count - trainingCount),
                "dropped_seed_repeats": .int(seedRepeats.count),
                "dropped_eval_duplicates": leakage?.json ?? .null,
            ])
        do {
            try? FileManager.default.removeItem(at: output)
            try ModelArtifact.write(
                to: output, weights: outcome.weights, head: outcome.head, pooling: settings.pooling,
                features: outcome.headFeatures, labels: metric.labels,
                baseModelDirectory: baseFolder,
                extraFiles: [
                    MetricModelInfo.fileName: Data(info.jsonValue.indentedText.utf8),
                    "training-curve.json": Data(outcome.curve.indentedText.utf8),
                ])
            for (index, member) in outcome.members.enumerated() {
                try ModelArtifact.write(
                    to: output.appendingPathComponent(MetricModelInfo.membersFolder).appendingPathComponent(String(index + 2)),
                    weights: member.weights, head: member.head, pooling: settings.pooling, features: outcome.headFeatures,
                    labels: metric.labels,
                    baseModelDirectory: baseFolder)
            }
        } catch let error as MLCoreError {
            throw TaskError("cannot write the model folder: \(error.message)")
        }
        var metrics: [String: JSONValue] = [
            "training_rows": .int(trainIndices.count), "validation_rows": .int(validationIndices.count),
            "mode": .string(mode.rawValue),
        ]
        if let leakage { metrics["dropped_eval_duplicates"] = leakage.json }
        for (key, value) in outcome.metrics { metrics[key] = value }
        if let tuned = threshold?.tuned { metrics["threshold"] = .double(tuned) }
        let modeText = settings.mode == .auto ? "auto → \(mode.rawValue)" : mode.rawValue
        return StageResult(summary: "trained \(metric.name) (\(modeText) mode) on \(trainIndices.count) rows"
                               + outcome.summarySuffix + (leakage?.summarySuffix ?? ""),
                           warnings: leakage?.sharedInputWarning.map { [$0] } ?? [], metrics: metrics)
    }

    /// A boolean metric's threshold: the run's policy applied to the training rows' out-of-fold
    /// probabilities, or to the validation slice's when there are none; `tuned` stays unset (0.5 is used)
    /// when neither exists or the policy is `none`.
    private func chooseThreshold(_ outcome: TrainJob.Outcome, settings: TrainSettings, metric: TrainMetric, labels: [Int],
                                 trainIndices: [Int], validationIndices: [Int], reporter: any StageReporter)
        -> MetricModelInfo.Threshold?
    {
        guard metric.isBoolean, let positive = metric.labels.firstIndex(of: "true") else { return nil }
        var threshold = MetricModelInfo.Threshold(positiveLabel: "true")
        let (probabilities, rows, source) = outcome.outOfFold.map { ($0, trainIndices, "out_of_fold") }
            ?? (outcome.validationProbabilities, validationIndices, "validation")
        guard let choice = settings.threshold.choose(
            probabilities: probabilities.map { $0[positive] }, isPositive: rows.map { labels[$0] == positive })
        else { return threshold }
        threshold.tuned = choice.threshold
        var selection: [String: JSONValue] = [
            "chosen_on": .string(source), "policy": settings.threshold.jsonValue, "rows": .int(choice.rows),
            "score": .double(choice.score), "score_at_default": .double(choice.scoreAtDefault), "unshrunk": .double(choice.unshrunk),
        ]
        if !choice.targetReached { selection["target_reached"] = false }
        threshold.selection = .object(selection)
        let figures = String(format: "%.3f, at 0.5: %.3f", choice.score, choice.scoreAtDefault)
        let policy = settings.threshold.jsonValue.stringValue ?? settings.threshold.jsonValue.canonicalText
        reporter.log("train: threshold " + String(format: "%.3f", choice.threshold) + " (\(policy) "
            + "on \(choice.rows) \(source.replacingOccurrences(of: "_", with: "-")) rows: \(figures))"
            + (choice.targetReached ? "" : "; the target is not reached on these rows: the nearest cut is used"))
        return threshold
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
