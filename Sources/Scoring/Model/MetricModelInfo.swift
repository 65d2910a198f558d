import Basics
import Foundation
import MLCore
import TaskInterface
import WorkflowModel

/// What a model folder's `metric.json` says: the metric, its labels, how a row becomes model input,
/// the pooling and the decision threshold, and how the model was trained.
///
/// ```json
/// {
///   "base_model": {"digest": "sha256:53aa…", "name": "minilm-l6"},
///   "format_version": 1,
///   "labels": ["false", "true"],
///   "max_tokens": 128,
///   "metric": {"input": "message", "labels": ["false", "true"], "name": "toxicity", "output": "boolean", "step": "llm_span"},
///   "mode": "head",
///   "pooling": "mean",
///   "rendering": {"input_format": "message", "max_tokens": 128, "template": "{input}"},
///   "rows": {"per_label": {"false": 120, "true": 80}, "training": 180, "validation": 20},
///   "threshold": {"default": 0.5, "positive_label": "true", "tuned": 0.43,
///                 "selection": {"chosen_on": "out_of_fold", "policy": "macro_f1", "rows": 200, "score": 0.86,
///                               "score_at_default": 0.84, "unshrunk": 0.38}},
///   "training": {"batch_size": 16, "epochs": 4, …}
/// }
/// ```
///
/// Keys are sorted and the file holds no time or path, so it is the same bytes for the same training.
/// `threshold` is present only for boolean metrics: `default` is 0.5; `tuned`, the threshold the metric
/// uses, is chosen by the run's threshold policy (`ThresholdPolicy` in `TaskTypes`) on the training rows' out-of-fold predictions (or, with
/// `validation_fraction`, on the validation slice); `selection` says on what, from how many rows, the
/// policy's score there at `tuned` and at 0.5, and the cut before it was shrunk toward 0.5. `tuned` is
/// absent when nothing was chosen (no cross-validation, policy `none`). `head_features: "pair"` says the
/// head reads ``HeadFeatures/pair`` vectors (head mode over a pair); absent, it reads the pooled row, so a
/// metric trained as before is the same bytes as before.
public struct MetricModelInfo: Sendable, Equatable {
    /// The version of this file's layout.
    public static let formatVersion = 1
    /// The file's name inside a model folder.
    public static let fileName = "metric.json"

    /// A boolean metric's decision thresholds on the positive label's probability.
    public struct Threshold: Sendable, Equatable {
        public var positiveLabel: String
        public var defaultValue: Double = 0.5
        /// The threshold the run's policy chose (the one the metric uses).
        public var tuned: Double?
        /// How it was chosen: `chosen_on`, `policy`, `rows`, `score`, `score_at_default`, `unshrunk`.
        public var selection: JSONValue?

        public init(positiveLabel: String, defaultValue: Double = 0.5, tuned: Double? = nil, selection: JSONValue? = nil) {
            self.positiveLabel = positiveLabel
            self.defaultValue = defaultValue
            self.tuned = tuned
            self.selection = selection
        }
    }

    /// The metric definition as the stage received it (`name`, `output`, `labels`, `step`, `input`, `prompt`).
    public var metric: JSONValue
    /// Label names in the head's index order.
    public var labels: [String]
    /// How a row is rendered.
    public var rendering: RowRendering
    public var pooling: Pooling
    /// What the head reads: the pooled row, or (head mode over a pair) the joint and each side's vectors.
    public var headFeatures: HeadFeatures
    public var mode: TrainMode
    public var threshold: Threshold?
    public var baseModelName: String
    public var baseModelDigest: String
    /// The training settings, every value (`TrainSettings.jsonValue` in `TaskTypes`), plus what the run chose (e.g. `chosen_l2`).
    public var training: JSONValue
    /// Row counts: `training`, `validation`, `per_label`.
    public var rows: JSONValue
    /// How many fine-tuned models the metric averages (`train.seeds`): the folder's own, then
    /// `members/2/`, `members/3/`, … (each a model folder of the same layout, without `metric.json`).
    public var members: Int
    /// The folder inside a model folder that holds the other members of a seed ensemble.
    public static let membersFolder = "members"

    public init(metric: JSONValue, labels: [String], rendering: RowRendering, pooling: Pooling,
                headFeatures: HeadFeatures = .pooled, mode: TrainMode,
                threshold: Threshold?, baseModelName: String, baseModelDigest: String, training: JSONValue, members: Int = 1,
                rows: JSONValue) {
        self.headFeatures = headFeatures
        self.members = members
        self.metric = metric
        self.labels = labels
        self.rendering = rendering
        self.pooling = pooling
        self.mode = mode
        self.threshold = threshold
        self.baseModelName = baseModelName
        self.baseModelDigest = baseModelDigest
        self.training = training
        self.rows = rows
    }

    /// What training chose and on what evidence, for the report: the mode trained, the folds, the
    /// chosen L2 or epoch count, `auto_mode`'s comparison, and the threshold with its `selection`.
    public var selectionSummary: JSONValue {
        var object: [String: JSONValue] = ["mode": .string(mode.rawValue)]
        if headFeatures != .pooled { object["head_features"] = .string(headFeatures.rawValue) }
        for key in ["cross_validation_folds", "chosen_l2", "best_epoch", "auto_mode", "epochs"] {
            if let value = training[key], value != .null { object[key] = value }
        }
        if let threshold {
            var value: [String: JSONValue] = ["default": .double(threshold.defaultValue)]
            if let tuned = threshold.tuned { value["tuned"] = .double(tuned) }
            if let selection = threshold.selection { value["selection"] = selection }
            object["threshold"] = .object(value)
        }
        return .object(object)
    }

    /// Whether the metric is boolean (its output is `boolean`).
    public var isBoolean: Bool { metric["output"]?.stringValue == MetricOutput.boolean.rawValue }

    /// The file's JSON value.
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "format_version": .int(Self.formatVersion), "metric": metric, "labels": .array(labels.map(JSONValue.string)),
            "max_tokens": .int(rendering.maxTokens), "pooling": .string(pooling.rawValue), "mode": .string(mode.rawValue),
            "rendering": [
                "input_format": .string(rendering.format.rawValue), "max_tokens": .int(rendering.maxTokens),
                "template": .string(rendering.template),
            ],
            "base_model": ["name": .string(baseModelName), "digest": .string(baseModelDigest)],
            "training": training, "rows": rows,
        ]
        if headFeatures != .pooled { object["head_features"] = .string(headFeatures.rawValue) }
        if members > 1 { object["ensemble"] = ["members": .int(members), "folder": .string(Self.membersFolder)] }
        if let threshold {
            var value: [String: JSONValue] = [
                "positive_label": .string(threshold.positiveLabel), "default": .double(threshold.defaultValue),
            ]
            if let tuned = threshold.tuned { value["tuned"] = .double(tuned) }
            if let selection = threshold.selection { value["selection"] = selection }
            object["threshold"] = .object(value)
        }
        return .object(object)
    }

    /// Reads `metric.json` from a model folder.
    ///
    /// - Throws: ``TaskError`` naming the file and the key that is missing or wrong.
    public init(folder: URL) throws {
        let url = folder.appendingPathComponent(Self.fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TaskError("\(url.path): not found", remedy: "point at a model folder written by the train stage")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch {
            throw TaskError("\(url.path): not JSON (\(error))", remedy: "rerun the train stage that wrote it")
        }
        func fail(_ key: String) -> TaskError {
            TaskError("\(url.path): '\(key)' is missing or malformed", remedy: "rerun the train stage that wrote it")
        }
        guard let version = json["format_version"]?.intValue else { throw fail("format_version") }
        guard version <= Self.formatVersion else {
            throw TaskError("\(url.path): format_version \(version) is newer than this Lunette reads (\(Self.formatVersion))",
                            remedy: "upgrade Lunette")
        }
        guard let labels = json["labels"]?.arrayValue?.compactMap(\.stringValue), labels.count >= 2 else { throw fail("labels") }
        guard let format = json["rendering"]?["input_format"]?.stringValue.flatMap(InputFormat.init(rawValue:)) else {
            throw fail("rendering.input_format")
        }
        guard let maxTokens = json["max_tokens"]?.intValue else { throw fail("max_tokens") }
        guard let pooling = json["pooling"]?.stringValue.flatMap(Pooling.init(rawValue:)) else { throw fail("pooling") }
        guard let mode = json["mode"]?.stringValue.flatMap(TrainMode.init(rawValue:)) else { throw fail("mode") }
        var headFeatures = HeadFeatures.pooled
        if let value = json["head_features"], value != .null {
            guard let features = value.stringValue.flatMap(HeadFeatures.init(rawValue:)) else { throw fail("head_features") }
            headFeatures = features
        }
        if headFeatures == .pair, !RowRendering(format: format, maxTokens: maxTokens).isPair {
            throw TaskError("\(url.path): 'head_features' is pair, but input format \(format.rawValue) is not a pair",
                            remedy: "rerun the train stage that wrote it")
        }
        var threshold: Threshold?
        if let value = json["threshold"], value != .null {
            guard let positive = value["positive_label"]?.stringValue else { throw fail("threshold.positive_label") }
            threshold = Threshold(positiveLabel: positive, defaultValue: value["default"]?.doubleValue ?? 0.5,
                                  tuned: value["tuned"]?.doubleValue, selection: value["selection"])
        }
        self.init(metric: json["metric"] ?? .null, labels: labels, rendering: RowRendering(format: format, maxTokens: maxTokens),
                  pooling: pooling, headFeatures: headFeatures, mode: mode, threshold: threshold,
                  baseModelName: json["base_model"]?["name"]?.stringValue ?? "",
                  baseModelDigest: json["base_model"]?["digest"]?.stringValue ?? "",
                  training: json["training"] ?? .null, members: json["ensemble"]?["members"]?.intValue ?? 1,
                  rows: json["rows"] ?? .null)
    }
}

extension JSONValue {
    /// A Float as the JSON number of its shortest decimal form (`0.1`, not `0.10000000149011612`).
    package static func float(_ value: Float) -> JSONValue {
        .double(Double("\(value)") ?? Double(value))
    }
}
