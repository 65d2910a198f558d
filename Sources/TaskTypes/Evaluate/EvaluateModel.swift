import Basics
import Foundation
import MLCore
import Providers
import Scoring
import TaskInterface

/// The `evaluate` task type: scores the fine-tuned model on the run's eval rows (never trained on)
/// and compares it with a baseline, writing `report.json`, `predictions.jsonl` and `report.html`.
///
/// Inputs: `model` (the train stage's folder), `eval` and `seeds` (the split's rows), `base_model`.
/// Params: `metric`, `provider` (for a judge baseline), and `project` and `run`, which the report names
/// (so they are part of the action key: two runs with the same model and rows write different reports).
/// The baseline is the untuned base model: a nearest-centroid classifier over the frozen, mean-pooled
/// embeddings of the seed rows (probabilities: softmax of 20 × cosine similarity to each label's
/// centroid). Boolean metrics are scored at the decision threshold the registered metric will use
/// (chosen by the train stage on out-of-fold predictions), with the scores at 0.5 kept beside them. Macro-F1,
/// accuracy and AUC-ROC carry seeded 95 % bootstrap intervals (``ScoreIntervals``).
public struct EvaluateModel: TaskType {
    public static let id = "evaluate"
    /// 2: a lone text's forward pass splits its products over the encoder's own threads instead of
    /// OpenBLAS's (other last bits for a batch of one row). 3: bootstrap intervals in the report.
    /// 4: the train stage's model selection (`selection`) in the report.
    public static let version = 4
    /// How sharply the baseline turns cosine similarities into probabilities.
    static let centroidScale: Float = 20

    public init() {}

    /// The judge baseline calls the run's provider: its key must be there before anything runs.
    public func preflight(params: [String: JSONValue], environment: [String: String]) -> [String] {
        guard case .object? = params["provider"], params["metric"]?["prompt"]?.stringValue != nil else { return [] }
        return LabelRows().preflight(params: params, environment: environment)
    }

    public func planNote(params: [String: JSONValue]) -> String? {
        guard case .object? = params["provider"], params["provider"]?["kind"]?.stringValue != "offline",
            params["metric"]?["prompt"]?.stringValue != nil
        else { return nil }
        return "the LLM judge baseline makes one provider call per eval row (cached)"
    }

    public func run(_ context: StageContext) async throws -> StageResult {
        let threads = ThreadCount.fromEnvironment(context.environment)
        let model = try MetricModel(folder: try context.input("model"), threads: threads)
        let labels = model.info.labels
        let evalRows = try DatasetRows.read(from: try context.input("eval"))
        let seedRows = try DatasetRows.read(from: try context.input("seeds"))
        guard !evalRows.isEmpty else {
            throw TaskError("there are no eval rows to score", remedy: "use a larger test set or a smaller seed_fraction")
        }
        let truth = try evalRows.map { try Self.labelIndex($0, labels: labels) }
        context.reporter.progress(completed: 0, total: evalRows.count, label: "scoring eval rows")
        let probabilities = try model.probabilities(for: evalRows).map { $0.map(Double.init) }
        try Task.checkCancellation()
        let threshold = model.defaultThreshold
        let scores = ClassificationMetrics.compute(labels: labels, truth: truth, probabilities: probabilities, threshold: threshold)
        let intervals = ScoreIntervals.bootstrap(
            labels: labels, truth: truth, probabilities: probabilities, threshold: threshold)
        let atHalf = threshold.map { _ in
            ClassificationMetrics.compute(labels: labels, truth: truth, probabilities: probabilities, threshold: 0.5)
        }

        context.reporter.progress(completed: evalRows.count / 2, total: evalRows.count, label: "baseline")
        var baselines: [EvaluationReport.Baseline] = []
        if let centroid = try Self.nearestCentroid(
            context: context, model: model, seeds: seedRows, evalRows: evalRows, labels: labels, threads: threads)
        {
            let baselineScores = ClassificationMetrics.compute(
                labels: labels, truth: truth, probabilities: centroid, threshold: threshold == nil ? nil : 0.5)
            baselines.append(
                EvaluationReport.Baseline(
                    name: "untuned base model (nearest centroid of seed rows)", scores: baselineScores,
                    macroF1Delta: scores.macroF1 - baselineScores.macroF1))
        }
        try Task.checkCancellation()
        var judgeNote: String?
        if let judged = try await judgeBaseline(context: context, evalRows: evalRows, labels: labels) {
            let judgeScores = ClassificationMetrics.compute(labels: labels, truth: truth, probabilities: judged.probabilities)
            baselines.append(
                EvaluationReport.Baseline(
                    name: "LLM judge (\(judged.model))", scores: judgeScores,
                    macroF1Delta: scores.macroF1 - judgeScores.macroF1))
            if judged.unanswered > 0 {
                judgeNote = "the judge gave no usable label for \(judged.unanswered) eval rows (counted as wrong)"
            }
        }

        let mistakes = try Self.mistakes(
            rows: evalRows, truth: truth, probabilities: probabilities, threshold: threshold, labels: labels,
            rendering: model.info.rendering)
        let curve = (try? Data(contentsOf: try context.input("model").appendingPathComponent("training-curve.json")))
            .flatMap { try? JSONValue.parse($0) }
        var digests: [String: String] = [:]
        for (name, digest) in context.inputDigests { digests[name] = digest.description }
        let report = EvaluationReport(
            project: context.params["project"]?.stringValue ?? context.stageID.project,
            run: context.params["run"]?.stringValue ?? context.stageID.run,
            metric: context.params["metric"]?["name"]?.stringValue ?? "metric",
            output: context.params["metric"]?["output"]?.stringValue ?? (labels == ["false", "true"] ? "boolean" : "categorical"),
            scores: scores, scoresAtHalf: atHalf, baselines: baselines, trainingCurve: curve, mistakes: mistakes,
            digests: digests, intervals: intervals, selection: model.info.selectionSummary)

        let folder = try context.output("report")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try report.encoded().write(to: folder.appendingPathComponent("report.json"))
        try Data(ReportPage.render(report).utf8).write(to: folder.appendingPathComponent("report.html"))
        var predictions = ""
        for (index, row) in evalRows.enumerated() {
            let predicted = ClassificationMetrics.predict(probabilities[index], threshold: threshold)
            var object: [String: JSONValue] = [
                "row": .int(row.row), "label": .string(labels[truth[index]]), "predicted": .string(labels[predicted]),
                "probabilities": .object(Dictionary(uniqueKeysWithValues: zip(labels, probabilities[index].map(JSONValue.double)))),
            ]
            if let id = row.id { object["id"] = .string(id) }
            predictions += JSONValue.object(object).canonicalText + "\n"
        }
        try Data(predictions.utf8).write(to: folder.appendingPathComponent("predictions.jsonl"))
        context.reporter.progress(completed: evalRows.count, total: evalRows.count, label: "done")

        var summary = "macro F1 \(Self.format(scores.macroF1)) (95% CI \(Self.format(intervals.macroF1.lower))–"
            + "\(Self.format(intervals.macroF1.upper))) on \(evalRows.count) eval rows"
        if let baseline = baselines.first {
            summary += " (\(baseline.macroF1Delta >= 0 ? "+" : "")\(Self.format(baseline.macroF1Delta)) over the untuned base model)"
        }
        var metrics: [String: JSONValue] = [
            "macro_f1": .double(scores.macroF1), "accuracy": .double(scores.accuracy), "rows": .int(evalRows.count),
        ]
        if let auc = scores.aucROC { metrics["auc_roc"] = .double(auc) }
        metrics["macro_f1_ci"] = [.double(intervals.macroF1.lower), .double(intervals.macroF1.upper)]
        return StageResult(summary: summary, warnings: judgeNote.map { [$0] } ?? [], metrics: metrics)
    }

    /// The LLM judge's own labels for the eval rows (the reference product's "Calculate F1"), when the
    /// run has a provider that is a language model and the metric has a judge prompt. Each answer
    /// counts as probability 1 for its label; a row the judge cannot answer counts as wrong.
    func judgeBaseline(context: StageContext, evalRows: [CanonicalRow], labels: [String]) async throws
        -> (probabilities: [[Double]], model: String, unanswered: Int)?
    {
        guard case .object? = context.params["provider"], context.params["metric"]?["prompt"]?.stringValue != nil,
            let configuration = try? ProviderCallCache.configuration(context), configuration.kind != .offline
        else { return nil }
        let metric = try LabelingMetric(params: context.params, stage: context.stageID.description)
        let judge = LabelJudge(metric: metric)
        let unlabelled = evalRows.map { row -> CanonicalRow in
            var copy = row
            copy.label = nil
            return copy
        }
        let seed = context.params["seed"]?.intValue ?? 42
        let answers = try await ProviderCallCache.withProvider(
            context, configuration: configuration, seed: seed, retryPolicy: RetryPolicy()
        ) { cache in
            try await LabelRows().label(unlabelled, judge: judge, cache: cache, context: context)
        }
        var unanswered = 0
        let probabilities = zip(evalRows, answers).map { row, answer -> [Double] in
            var p = [Double](repeating: 0, count: labels.count)
            if case .success(let verdict) = answer, let index = labels.firstIndex(of: verdict.label) {
                p[index] = 1
            } else {
                unanswered += 1
                let truth = row.label.flatMap { labels.firstIndex(of: $0) } ?? 0
                p[(truth + 1) % labels.count] = 1
            }
            return p
        }
        let model = context.params["provider"]?["model"]?.stringValue ?? configuration.kind.rawValue
        return (probabilities, model, unanswered)
    }

    static func labelIndex(_ row: CanonicalRow, labels: [String]) throws -> Int {
        guard let label = row.label, let index = labels.firstIndex(of: label) else {
            throw TaskError(
                "eval row \(row.row) has label '\(row.label ?? "")', not one of \(labels.joined(separator: ", "))",
                code: .invalidInput)
        }
        return index
    }

    /// Softmax(20 × cosine) to each label's centroid of seed embeddings; `nil` when a label has no seed row.
    static func nearestCentroid(
        context: StageContext, model: MetricModel, seeds: [CanonicalRow], evalRows: [CanonicalRow], labels: [String],
        threads: Int
    ) throws -> [[Double]]? {
        guard let baseFolder = context.inputs["base_model"] else { return nil }
        let encoder = try BertEncoder(modelDirectory: baseFolder, threads: threads)
        guard let tokenizer = encoder.tokenizer else { return nil }
        let rendering = model.info.rendering
        let seedEmbeddings = try encoder.embed(encodings: try seeds.map { try rendering.encode($0, tokenizer: tokenizer) })
        var centroids = Array(repeating: [Float](repeating: 0, count: seedEmbeddings.first?.count ?? 0), count: labels.count)
        var counts = Array(repeating: 0, count: labels.count)
        for (row, embedding) in zip(seeds, seedEmbeddings) {
            guard let label = row.label, let index = labels.firstIndex(of: label) else { continue }
            for d in embedding.indices { centroids[index][d] += embedding[d] }
            counts[index] += 1
        }
        guard counts.allSatisfy({ $0 > 0 }) else { return nil }
        centroids = centroids.map(BertEncoder.l2Normalized)
        let evalEmbeddings = try encoder.embed(encodings: try evalRows.map { try rendering.encode($0, tokenizer: tokenizer) })
        return evalEmbeddings.map { embedding in
            let logits = centroids.map { centroid in Double(zip(centroid, embedding).map(*).reduce(0, +) * centroidScale) }
            let top = logits.max() ?? 0
            let exps = logits.map { Foundation.exp($0 - top) }
            let sum = exps.reduce(0, +)
            return exps.map { $0 / sum }
        }
    }

    /// The 20 wrong predictions made with the highest confidence.
    static func mistakes(
        rows: [CanonicalRow], truth: [Int], probabilities: [[Double]], threshold: Double?, labels: [String],
        rendering: RowRendering
    ) throws -> [EvaluationReport.Mistake] {
        var wrong: [EvaluationReport.Mistake] = []
        for (index, row) in rows.enumerated() {
            let predicted = ClassificationMetrics.predict(probabilities[index], threshold: threshold)
            guard predicted != truth[index] else { continue }
            let input = try rendering.render(row)
            wrong.append(
                EvaluationReport.Mistake(
                    row: row.row, id: row.id, text: input.pair.map { "\(input.text) ⟶ \($0)" } ?? input.text,
                    label: labels[truth[index]], predicted: labels[predicted], confidence: probabilities[index][predicted]))
        }
        return Array(wrong.sorted { ($0.confidence, $1.row) > ($1.confidence, $0.row) }.prefix(20))
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }
}
