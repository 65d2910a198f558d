import Basics
import Foundation

/// Everything `evaluate` measured for one run: `report.json`.
public struct EvaluationReport: Codable, Hashable, Sendable {
    public var project: String
    public var run: String
    public var metric: String
    public var output: String
    /// The fine-tuned model's scores on the eval rows, at the registered decision threshold.
    public var scores: ClassificationMetrics
    /// 95 % bootstrap intervals of ``scores``' macro-F1, accuracy and AUC-ROC (`nil` in reports
    /// written before evaluate version 3).
    public var intervals: ScoreIntervals?
    /// For boolean metrics, the scores at threshold 0.5 (``scores`` uses the tuned threshold).
    public var scoresAtHalf: ClassificationMetrics?
    /// Baselines on the same eval rows.
    public var baselines: [Baseline]
    /// Loss per step and validation scores per epoch, when the model folder had them.
    public var trainingCurve: JSONValue?
    /// What the train stage chose and on what evidence (``MetricModelInfo/selectionSummary``): `mode`,
    /// `cross_validation_folds`, `chosen_l2` / `best_epoch`, `auto_mode`, `threshold` (`nil` in reports
    /// written before evaluate version 4).
    public var selection: JSONValue?
    /// The most confident mistakes (at most 20).
    public var mistakes: [Mistake]
    /// Digests of what was evaluated: model, eval rows, seed rows.
    public var digests: [String: String]

    public struct Baseline: Codable, Hashable, Sendable {
        /// `untuned base model (nearest centroid)` or `LLM judge`.
        public var name: String
        public var scores: ClassificationMetrics
        /// The fine-tuned model's macro-F1 minus this baseline's.
        public var macroF1Delta: Double

        public init(name: String, scores: ClassificationMetrics, macroF1Delta: Double) {
            self.name = name
            self.scores = scores
            self.macroF1Delta = macroF1Delta
        }
    }

    public struct Mistake: Codable, Hashable, Sendable {
        public var row: Int
        public var id: String?
        public var text: String
        public var label: String
        public var predicted: String
        public var confidence: Double

        public init(row: Int, id: String?, text: String, label: String, predicted: String, confidence: Double) {
            self.row = row
            self.id = id
            self.text = text
            self.label = label
            self.predicted = predicted
            self.confidence = confidence
        }
    }

    public init(
        project: String, run: String, metric: String, output: String, scores: ClassificationMetrics,
        scoresAtHalf: ClassificationMetrics?, baselines: [Baseline], trainingCurve: JSONValue?, mistakes: [Mistake],
        digests: [String: String], intervals: ScoreIntervals? = nil, selection: JSONValue? = nil
    ) {
        self.intervals = intervals
        self.selection = selection
        self.project = project
        self.run = run
        self.metric = metric
        self.output = output
        self.scores = scores
        self.scoresAtHalf = scoresAtHalf
        self.baselines = baselines
        self.trainingCurve = trainingCurve
        self.mistakes = mistakes
        self.digests = digests
    }

    /// Deterministic JSON (sorted keys, indented).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
