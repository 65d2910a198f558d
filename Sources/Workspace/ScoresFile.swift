import Basics
import Foundation
import WorkflowModel

/// A project's committed scores: `workflows/<project>.scores.json`, next to its lock.
///
/// `lunette run` rewrites it (atomically, only when its text changes) from the evaluation reports
/// the lock points at, so a commit that changes a prompt or a training setting shows
/// `"macro_f1": 0.8273` → `0.7912` in `git diff`, and `lunette metrics diff` reads it at any revision.
/// Stable bytes: keys sorted, two-space indentation, figures rounded to four decimals, no times,
/// no absolute paths.
///
/// ```json
/// {
///   "project": "moderation",
///   "runs": {
///     "toxicity": {
///       "accuracy": 0.8982, "auc_roc": 0.9403, "baseline_macro_f1": 0.7417, "calibration_error": 0.0559,
///       "eval_rows": 334, "gate": {"min_f1": 0.7}, "gate_passed": true, "macro_f1": 0.8273,
///       "macro_f1_ci": [0.7683, 0.8803], "metric": "toxicity", "output": "boolean",
///       "per_class_f1": {"false": 0.7167, "true": 0.938}, "pr_auc": 0.99, "report": "sha256:…"
///     }
///   }
/// }
/// ```
/// (written one key per line). A run's entry appears once its `evaluate` stage is in the lock.
public struct ScoresFile: Hashable, Sendable {
    /// The file's version, written as `version`; a reader refuses a newer one.
    public static let formatVersion = 1

    public var project: String
    /// Each run's headline results, by run name.
    public var runs: [String: RunScores]

    public init(project: String, runs: [String: RunScores] = [:]) {
        self.project = project
        self.runs = runs
    }

    /// The file's text.
    public var rendered: String {
        JSONValue.object([
            "version": .int(Self.formatVersion), "project": .string(project),
            "runs": .object(runs.mapValues { .object($0.values) }),
        ]).indentedText
    }

    /// Reads a scores file.
    /// - Throws: ``WorkspaceError`` `.failed` naming `file` when it is not a scores file.
    public static func parse(_ data: Data, file: String) throws -> ScoresFile {
        func invalid(_ why: String) -> WorkspaceError {
            WorkspaceError(
                .failed, "\(file): not a Lunette scores file: \(why)",
                remedy: "it is written by `lunette run`; restore it from git (`git checkout -- \(file)`) or delete it and run again")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw invalid("\(error)")
        }
        guard let version = value["version"]?.intValue else { throw invalid("no `version`") }
        guard version <= formatVersion else {
            throw invalid("version \(version) is newer than this lunette reads (\(formatVersion)); update lunette")
        }
        guard let project = value["project"]?.stringValue, let runs = value["runs"]?.objectValue else {
            throw invalid("no `project` or `runs`")
        }
        var parsed: [String: RunScores] = [:]
        for (name, entry) in runs {
            guard let values = entry.objectValue else { throw invalid("runs.\(name) is not an object") }
            parsed[name] = RunScores(values: values)
        }
        return ScoresFile(project: project, runs: parsed)
    }
}

/// One run's headline results in a ``ScoresFile``: the figures of its evaluation report, its gate
/// and whether the gate passed.
public struct RunScores: Hashable, Sendable {
    /// The entry as written: `macro_f1`, `accuracy`, `auc_roc`, `pr_auc`, `calibration_error`,
    /// `eval_rows`, `baseline_macro_f1`, `macro_f1_ci`, `per_class_f1`, `gate`, `gate_passed`,
    /// `metric`, `output`, `report`.
    public var values: [String: JSONValue]

    public init(values: [String: JSONValue]) {
        self.values = values
    }

    /// The digest of the evaluation report the figures come from.
    public var reportDigest: String? { values["report"]?.stringValue }

    /// The entry for an evaluation report (`report.json`'s parsed content) and the run's gate.
    public init(report: JSONValue, reportDigest: String, gate: [String: JSONValue]) {
        let scores = report["scores"] ?? .null
        var values: [String: JSONValue] = [
            "report": .string(reportDigest), "metric": report["metric"] ?? .null, "output": report["output"] ?? .null,
            "gate": .object(gate),
        ]
        func put(_ key: String, _ value: Double?) { values[key] = value.map { .double(Self.rounded($0)) } ?? .null }
        put("macro_f1", scores["macroF1"]?.doubleValue)
        put("accuracy", scores["accuracy"]?.doubleValue)
        put("auc_roc", scores["aucROC"]?.doubleValue)
        put("pr_auc", scores["prAUC"]?.doubleValue)
        put("calibration_error", scores["expectedCalibrationError"]?.doubleValue)
        let perClass = scores["perClass"]?.arrayValue ?? []
        values["eval_rows"] = scores["rows"]?.intValue.map(JSONValue.int)
            ?? .int(perClass.compactMap { $0["support"]?.intValue }.reduce(0, +))
        var f1: [String: JSONValue] = [:]
        for item in perClass {
            if let label = item["label"]?.stringValue { f1[label] = item["f1"]?.doubleValue.map { .double(Self.rounded($0)) } ?? .null }
        }
        values["per_class_f1"] = .object(f1)
        put("baseline_macro_f1", report["baselines"]?.arrayValue?.first?["scores"]?["macroF1"]?.doubleValue)
        if let interval = report["intervals"]?["macroF1"], let lower = interval["lower"]?.doubleValue,
            let upper = interval["upper"]?.doubleValue
        {
            values["macro_f1_ci"] = .array([.double(Self.rounded(lower)), .double(Self.rounded(upper))])
        } else {
            values["macro_f1_ci"] = .null
        }
        if gate.isEmpty {
            values["gate_passed"] = .null
        } else {
            let bounded = GateCheck.scores(
                macroF1: scores["macroF1"]?.doubleValue, accuracy: scores["accuracy"]?.doubleValue,
                aucROC: scores["aucROC"]?.doubleValue, precisions: perClass.compactMap { $0["precision"]?.doubleValue },
                recalls: perClass.compactMap { $0["recall"]?.doubleValue })
            values["gate_passed"] = .bool(GateCheck.failures(gate, scores: bounded).isEmpty)
        }
        self.values = values
    }

    /// The number figures of the entry, flattened to `key` and `per_class_f1.<label>`: what
    /// `metrics show` and `metrics diff` list.
    public var figures: [(name: String, value: Double?)] {
        var out: [(String, Double?)] = []
        for key in Self.figureKeys where values[key] != nil {
            out.append((key, values[key]?.doubleValue))
        }
        for (label, value) in (values["per_class_f1"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            out.append(("per_class_f1.\(label)", value.doubleValue))
        }
        return out
    }

    /// The headline figures, in the order they are listed.
    public static let figureKeys = [
        "macro_f1", "accuracy", "auc_roc", "pr_auc", "calibration_error", "baseline_macro_f1", "eval_rows",
    ]

    /// Whether a larger value of the figure is better (calibration error is the one where smaller is).
    public static func higherIsBetter(_ figure: String) -> Bool { figure != "calibration_error" && figure != "eval_rows" }

    /// Four decimals: enough to see a change, few enough that figures do not churn in diffs.
    static func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}
