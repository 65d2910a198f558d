import Basics
import Foundation
import Scoring
import TaskInterface
import WorkflowModel

/// The `register` task type: checks the run's gate against its evaluation report and records the
/// fine-tuned model in the registry as the next version of the metric.
///
/// Params: `metric` (its `name` is the registry name), `gate` (`min_f1`, `min_auc`, `min_accuracy`,
/// `min_precision`, `min_recall`; macro averages), `project`, `run`, `manifest`, `base_model` (its name). Inputs: `model`
/// (the model folder) and `report` (the evaluate stage's folder). Output `entry`: the registered
/// `name@version` as JSON. A run below its gate fails with "gate not met: macro F1 0.74 < 0.80" and
/// is not registered. Registering the same model again returns the same version.
public struct RegisterMetric: TaskType {
    public static let id = "register"
    public static let version = 1
    /// The version number comes from the registry's state, so re-running it is not a reproduction.
    public var isDeterministic: Bool { false }
    public var statusAfterSuccess: RunStatus? { .registered }

    public init() {}

    /// A recorded entry holds only where the registry has that `name@version` with that model: a
    /// workspace sharing the cache with the one that registered it registers it in its own registry.
    public func cachedResultHolds(outputs: [String: URL], registry: (any MetricRegistry)?) -> Bool {
        guard let registry else { return true }
        guard let url = outputs["entry"], let entry = try? JSONValue.parse(Data(contentsOf: url)),
            let name = entry["name"]?.stringValue, let version = entry["version"]?.intValue,
            let model = entry["model"]?.stringValue.flatMap(ContentHash.init(parsing:))
        else { return false }
        return registry.holds(name: name, version: version, modelDigest: model) ?? true
    }

    public func run(_ context: StageContext) async throws -> StageResult {
        let name = context.params["metric"]?["name"]?.stringValue ?? "metric"
        let reportData = try Data(contentsOf: try context.input("report").appendingPathComponent("report.json"))
        let report = try JSONDecoder().decode(EvaluationReport.self, from: reportData)
        // The manifest's `gate:`, checked through the schema `lunette check` uses (bounds between 0 and 1).
        try Self.schema.checkStage(context.params)
        let gate = context.params["gate"]?.objectValue ?? [:]
        let failures = Self.gateFailures(gate, scores: report.scores)
        if !failures.isEmpty {
            throw TaskError(
                "gate not met: " + failures.joined(separator: "; "),
                remedy: "improve the model (more or better training rows, `train: {mode: full}`), or lower the run's `gate:`",
                code: .gateNotMet)
        }
        guard let registry = context.registry else {
            throw TaskError("no metric registry is available to this stage", remedy: "run it through `lunette run`")
        }
        guard let modelDigest = context.inputDigests["model"] else {
            throw TaskError("the model's digest is unknown", remedy: "run it through `lunette run`")
        }
        var summary: [String: JSONValue] = [
            "output": .string(report.output), "labels": .array(report.scores.labels.map(JSONValue.string)),
            "macro_f1": .double(report.scores.macroF1), "accuracy": .double(report.scores.accuracy),
        ]
        if let auc = report.scores.aucROC { summary["auc_roc"] = .double(auc) }
        if let baseModel = context.params["base_model"]?.stringValue { summary["base_model"] = .string(baseModel) }
        let result = try registry.register(
            RegistrationRequest(
                name: name, modelDigest: modelDigest, reportDigest: context.inputDigests["report"],
                project: context.params["project"]?.stringValue ?? context.stageID.project,
                run: context.params["run"]?.stringValue ?? context.stageID.run,
                manifestPath: context.params["manifest"]?.stringValue ?? "", summary: .object(summary)))
        let entry: JSONValue = [
            "name": .string(result.name), "version": .int(result.version), "model": .string(modelDigest.description),
        ]
        try entry.canonicalData.write(to: try context.output("entry"))
        let verb = result.isNew ? "registered" : "already registered as"
        return StageResult(
            summary: "\(verb) \(result.name)@\(result.version) (macro F1 \(String(format: "%.3f", report.scores.macroF1)))",
            metrics: ["version": .int(result.version)])
    }

    /// "macro F1 0.74 < 0.80" for every threshold the scores miss (``GateCheck``'s rule).
    static func gateFailures(_ gate: [String: JSONValue], scores: ClassificationMetrics) -> [String] {
        GateCheck.failures(gate, scores: gateScores(scores))
    }

    /// The scores a gate can bound, by ``GateCheck`` name.
    static func gateScores(_ scores: ClassificationMetrics) -> [String: Double] {
        GateCheck.scores(
            macroF1: scores.macroF1, accuracy: scores.accuracy, aucROC: scores.aucROC,
            precisions: scores.perClass.map(\.precision), recalls: scores.perClass.map(\.recall))
    }
}
