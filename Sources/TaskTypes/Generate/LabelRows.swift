import Basics
import Foundation
import Providers
import Scoring
import TaskInterface
import WorkflowModel

/// The `label` stage: the metric's judge labels every unlabelled row, with a one-sentence rationale.
///
/// Input `rows`, output `rows` (same order and numbers). Params `metric` (its `prompt` is the judge
/// prompt), `provider`, `seed`, and `max_failure_fraction` (default 0.05).
///
/// - A row that already has a label passes through unchanged: a labelled upload never calls the
///   provider.
/// - Each unlabelled row is one call asking for `{"label": …, "rationale": …}`; the label is matched
///   to the metric's labels (``LabelingMetric/matchLabel(_:)``) and the rationale kept in the row
///   as `rationale`. An answer that cannot be read is asked again, with the reason, up to three
///   samples in all (each its own cached call).
/// - Rows still unlabelled after that are left out and listed by row number in a warning; when
///   they are more than `max_failure_fraction` of the rows to label, the stage fails listing them.
///
/// The offline provider cannot judge: with unlabelled rows it fails, saying so.
public struct LabelRows: TaskType {
    public static let id = "label"
    public static let version = 1
    public var isDeterministic: Bool { false }
    public var statusWhileRunning: RunStatus? { .generatingData }
    public var retryPolicy: RetryPolicy
    /// Samples per row before giving up on it.
    public static let maxSamples = 3
    public static let defaultMaxFailureFraction = 0.05

    public init(retryPolicy: RetryPolicy = RetryPolicy()) {
        self.retryPolicy = retryPolicy
    }

    /// The judge is called once per unlabelled row (~250 tokens each, estimated); labelled rows cost nothing.
    public func planNote(params: [String: JSONValue]) -> String? {
        "one provider call per unlabelled row (~250 tokens each, estimated; answers already received are cached)"
    }

    public func preflight(params: [String: JSONValue], environment: [String: String]) -> [String] {
        ProviderCallCache.preflight(params: params, environment: environment, stage: "label")
    }

    public func run(_ context: StageContext) async throws -> StageResult {
        let stage = context.stageID.description
        let metric = try LabelingMetric(params: context.params, stage: stage)
        let rows = try DatasetRows.read(from: context.input("rows"))
        let todo = rows.indices.filter { rows[$0].label == nil }
        let maxFailures = context.params["max_failure_fraction"]?.doubleValue ?? LabelRows.defaultMaxFailureFraction
        if todo.isEmpty {
            try DatasetRows.write(rows, to: context.output("rows"))
            return StageResult(
                summary: "all \(rows.count) rows were already labelled; no provider calls",
                metrics: ["rows": .int(rows.count), "labelled": 0, "provider_calls": 0])
        }
        guard metric.prompt != nil else {
            throw TaskError(
                "\(stage): the metric \(metric.name) has no judge prompt to label \(todo.count) rows with",
                remedy: "set metric.prompt in the manifest")
        }
        let configuration = try ProviderCallCache.configuration(context)
        guard configuration.kind != .offline else {
            let error = OfflineProvider.cannotJudge
            throw TaskError("\(stage): \(error.message) (\(todo.count) rows have no label)", remedy: error.remedy)
        }
        let seed = context.params["seed"]?.intValue ?? 42
        let judge = LabelJudge(metric: metric)
        let (answers, providerMetrics) = try await ProviderCallCache.withProvider(
            context, configuration: configuration, seed: seed, retryPolicy: retryPolicy
        ) { cache in
            (try await label(todo.map { rows[$0] }, judge: judge, cache: cache, context: context), cache.metrics)
        }

        var output: [CanonicalRow] = []
        var failed: [(row: Int, reason: String)] = []
        var answerIndex = 0
        for row in rows {
            guard row.label == nil else {
                output.append(row)
                continue
            }
            defer { answerIndex += 1 }
            switch answers[answerIndex] {
            case .success(let verdict):
                var labelled = row
                labelled.label = verdict.label
                labelled.extra["rationale"] = .string(verdict.rationale)
                output.append(labelled)
            case .failure(let reason):
                failed.append((row.row, reason.text))
            }
        }
        let failureList = failed.prefix(20).map { "row \($0.row): \($0.reason)" }.joined(separator: "; ")
            + (failed.count > 20 ? "; and \(failed.count - 20) more" : "")
        if Double(failed.count) > maxFailures * Double(todo.count) {
            throw TaskError(
                "\(stage): the judge gave no usable label for \(failed.count) of \(todo.count) rows (\(failureList))",
                remedy: "use a stronger model, or check that the metric's prompt asks for one of its labels; "
                    + "answers already received are cached")
        }
        try DatasetRows.write(output, to: context.output("rows"))
        var warnings: [String] = []
        if !failed.isEmpty {
            warnings.append("left out \(failed.count) rows the judge could not label (\(failureList))")
        }
        var metrics = providerMetrics
        metrics["rows"] = .int(output.count)
        metrics["labelled"] = .int(todo.count - failed.count)
        metrics["failed"] = .int(failed.count)
        var counts: [String: JSONValue] = [:]
        for label in metric.labels { counts[label] = .int(output.filter { $0.label == label }.count) }
        metrics["labels"] = .object(counts)
        return StageResult(
            summary: "labelled \(todo.count - failed.count) of \(todo.count) rows with the \(metric.name) judge "
                + "(\(providerMetrics["provider_calls"]?.intValue ?? 0) new calls, "
                + "\(providerMetrics["cached_calls"]?.intValue ?? 0) cached)"
                + (rows.count > todo.count ? "; \(rows.count - todo.count) rows were already labelled" : ""),
            warnings: warnings, metrics: metrics)
    }

    /// One verdict per row of `rows`, at most `max_concurrency` calls at a time.
    ///
    /// When a call fails for good, no further row starts, but the calls in flight run to their end
    /// (so their answers, already paid for, are cached for the rerun) before the first failure is thrown.
    func label(
        _ rows: [CanonicalRow], judge: LabelJudge, cache: ProviderCallCache, context: StageContext
    ) async throws -> [Result<LabelJudge.Verdict, LabelJudge.Failure>] {
        let stage = context.stageID.description
        let values = try await BoundedCalls.run(
            count: rows.count, limit: cache.configuration.maxConcurrency,
            completed: { done in context.reporter.progress(completed: done, total: rows.count, label: "rows labelled") }
        ) { index -> Result<Result<LabelJudge.Verdict, LabelJudge.Failure>, TaskError> in
            do {
                return .success(try await judge.verdict(for: rows[index], cache: cache, samples: LabelRows.maxSamples))
            } catch let error as ProviderError {
                return .failure(ProviderCallCache.taskError(error, stage: stage))
            }
        }
        return values.map { $0 ?? .failure(LabelJudge.Failure(text: "not answered")) }
    }
}
