import Basics
import MLCore
import Scoring
import TaskInterface
import WorkflowModel

/// The `train:` settings of a run, with their defaults (documented in `Train.md`).
///
/// Read from the stage's `train` parameter (an object; absent keys take the defaults). Every key, its
/// limits and its default are declared once, in ``schema``, which the manifest reader checks too.
public struct TrainSettings: Sendable, Equatable {
    /// `head`: frozen encoder, linear head on cached embeddings; `full`: every layer fine-tuned; `auto`:
    /// whichever of the two scores the higher out-of-fold macro-F1 (``TrainJob``). Defined in `Scoring`
    /// as `TrainMode`, which reads it back from `metric.json`.
    public typealias Mode = TrainMode
    /// How label imbalance is weighted in the loss.
    public enum ClassWeighting: Sendable, Equatable {
        /// `balanced` when the largest class has more than twice the rows of the smallest, else `none`.
        case automatic
        /// `n / (labels · n_label)` per label.
        case balanced
        /// All 1.
        case none
        /// One weight per label, in label order.
        case explicit([Double])
    }

    // Every default comes from ``schema`` (see `init(checked:labels:seed:threads:)`).
    public var mode: Mode
    public var pooling: Pooling
    public var epochs: Int
    public var learningRate: Double
    public var batchSize: Int
    public var maxTokens: Int
    public var warmupRatio: Double
    public var weightDecay: Double
    public var classWeights: ClassWeighting
    /// A held-out slice for early stopping (0: none; model selection is cross-validated instead).
    public var validationFraction: Double
    /// Cross-validation folds for model selection; `nil` = by size (``folds(mode:rows:smallestLabel:)``), 0 = off.
    public var crossValidationFolds: Int?
    /// How a boolean metric's threshold is chosen on the out-of-fold predictions.
    public var threshold: ThresholdPolicy
    public var seed: Int
    public var threads: Int
    /// Epochs without a better validation score before full training stops.
    public var patience: Int
    public var dropout: Double
    public var maxGradientNorm: Double
    /// Head mode: the L2 strength; `nil` picks it from ``l2Candidates`` by k-fold cross-validation on the training rows.
    public var l2: Double?
    /// Whether the 20% seed rows of the test set are added to the training rows.
    public var includeSeeds: Bool
    /// Full mode: fine-tunes this many models (seeds `seed`, `seed + 1`, …) whose probabilities are averaged.
    public var seeds: Int
    /// Head mode over a pair format: the head also reads each side encoded alone (``HeadFeatures/pair``).
    public var pairFeatures: Bool

    /// The L2 strengths head mode tries when ``l2`` is not set (strongest first; each fit warm-starts from the previous).
    public static let l2Candidates: [Double] = [1, 3e-1, 1e-1, 3e-2, 1e-2, 3e-3, 1e-3]
    /// The L2 strength head mode uses when there are too few rows to cross-validate.
    public static let defaultL2 = 1e-2
    /// Full mode cross-validates by default while training rows × epochs stays within this budget
    /// (3 folds cost about 2× the final fine-tune: ~3–7 extra minutes on 2 cores at the limit).
    public static let fullCrossValidationBudget = 4_000

    /// Every key `train:` accepts (``schema``'s names).
    public static var keys: [String] { schema.names }

    /// Settings with every default; `seed` is the run's seed, `threads` from `LUNETTE_THREADS` (else 2).
    public init(seed: Int = 42, environment: [String: String] = [:]) {
        self.init(checked: [:], labels: nil, seed: seed, threads: ThreadCount.fromEnvironment(environment))
    }

    /// Reads the stage's params: `train` (the settings object), `seed` (the run's seed) and the metric's
    /// labels (`metric.labels`, for `class_weights`).
    ///
    /// The settings are checked through ``schema``, the same check `lunette check` runs, so a value is
    /// refused here exactly when the manifest reader refuses it, with the same message.
    /// - Throws: ``TaskError`` naming the key (`train.epochs: …`) for an unknown key or a bad value.
    public init(params: [String: JSONValue], environment: [String: String]) throws {
        let seed = params["seed"]?.intValue ?? 42
        let threads = ThreadCount.fromEnvironment(environment)
        let labels = params["metric"]?["labels"]?.arrayValue?.compactMap(\.stringValue)
        guard let value = params["train"], value != .null else {
            self.init(checked: [:], labels: labels, seed: seed, threads: threads)
            return
        }
        if let issue = Self.schema.check(value, labels: labels).first { throw Self.error(issue) }
        let object = value.objectValue ?? [:]
        if case .object? = object["class_weights"], labels == nil {
            throw TaskError("train.class_weights: label → weight needs the metric's labels", remedy: "give the stage params.metric.labels",
                            code: .invalidInput)
        }
        self.init(checked: object, labels: labels, seed: seed, threads: threads)
    }

    /// Settings from an object ``schema`` accepted (absent keys take its defaults).
    private init(checked object: [String: JSONValue], labels: [String]?, seed: Int, threads: Int) {
        func value(_ key: String) -> JSONValue { object[key] ?? Self.defaultValue(key) }
        mode = value("mode").stringValue.flatMap(Mode.init(rawValue:)) ?? .auto
        pooling = value("pooling").stringValue.flatMap(Pooling.init(rawValue:)) ?? .mean
        epochs = value("epochs").intValue ?? 1
        learningRate = value("learning_rate").doubleValue ?? 0
        batchSize = value("batch_size").intValue ?? 1
        maxTokens = value("max_tokens").intValue ?? 8
        warmupRatio = value("warmup_ratio").doubleValue ?? 0
        weightDecay = value("weight_decay").doubleValue ?? 0
        validationFraction = value("validation_fraction").doubleValue ?? 0
        crossValidationFolds = value("cv_folds").intValue
        threshold = ThresholdPolicy(json: value("threshold")) ?? .macroF1
        self.seed = object["seed"]?.intValue ?? seed
        self.threads = object["threads"]?.intValue ?? threads
        patience = value("patience").intValue ?? 1
        dropout = value("dropout").doubleValue ?? 0
        maxGradientNorm = value("max_gradient_norm").doubleValue ?? 1
        l2 = value("l2").doubleValue
        includeSeeds = value("include_seeds").boolValue ?? true
        seeds = value("seeds").intValue ?? 1
        pairFeatures = value("pair_features").boolValue ?? true
        switch value("class_weights") {
        case .string("balanced"): classWeights = .balanced
        case .string("none"): classWeights = .none
        case .array(let items): classWeights = .explicit(items.compactMap(\.doubleValue))
        case .object(let weights): classWeights = .explicit((labels ?? []).compactMap { weights[$0]?.doubleValue })
        default: classWeights = .automatic
        }
    }

    /// How many folds model selection uses: `cv_folds` when set; else head mode 5 (10 under 200 rows),
    /// full and auto mode 3 while rows × epochs ≤ ``fullCrossValidationBudget`` and 0 past it; never more than
    /// `smallestLabel` (the fewest rows, or groups of rows sharing an input, of any label), and 0 (no
    /// cross-validation) below 2.
    public func folds(mode: Mode, rows: Int, smallestLabel: Int) -> Int {
        let wanted = crossValidationFolds ?? {
            switch mode {
            case .head: rows < 200 ? 10 : 5
            case .full, .auto: rows * epochs <= Self.fullCrossValidationBudget ? 3 : 0
            }
        }()
        let folds = min(wanted, smallestLabel)
        return folds >= 2 ? folds : 0
    }

    /// The per-label weights for `counts` (rows per label, in label order), or `nil` for all 1.
    ///
    /// - Throws: ``TaskError`` when an explicit list has the wrong length.
    public func resolvedClassWeights(counts: [Int]) throws -> [Double]? {
        let present = counts.filter { $0 > 0 }
        let balanced = counts.map { count in
            count > 0 ? Double(counts.reduce(0, +)) / (Double(counts.count) * Double(count)) : 1
        }
        switch classWeights {
        case .none: return nil
        case .balanced: return balanced
        case .automatic:
            guard let largest = present.max(), let smallest = present.min(), largest > 2 * smallest else { return nil }
            return balanced
        case .explicit(let weights):
            guard weights.count == counts.count else {
                throw TaskError("train.class_weights: class_weights lists \(weights.count) weights for \(counts.count) labels",
                                remedy: "one weight per label, in the metric's label order", code: .invalidInput)
            }
            return weights
        }
    }

    /// The settings as they are recorded in `metric.json` (every value, defaults included, except
    /// `threads`: the model is the same bytes whatever the thread count).
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "mode": .string(mode.rawValue), "pooling": .string(pooling.rawValue), "epochs": .int(epochs),
            "learning_rate": .double(learningRate), "batch_size": .int(batchSize), "max_tokens": .int(maxTokens),
            "warmup_ratio": .double(warmupRatio), "weight_decay": .double(weightDecay),
            "validation_fraction": .double(validationFraction), "seed": .int(seed),
            "patience": .int(patience), "dropout": .double(dropout), "max_gradient_norm": .double(maxGradientNorm),
            "include_seeds": .bool(includeSeeds), "threshold": threshold.jsonValue, "seeds": .int(seeds),
            "cv_folds": crossValidationFolds.map(JSONValue.int) ?? "auto", "pair_features": .bool(pairFeatures),
        ]
        switch classWeights {
        case .automatic: object["class_weights"] = "auto"
        case .balanced: object["class_weights"] = "balanced"
        case .none: object["class_weights"] = "none"
        case .explicit(let weights): object["class_weights"] = .array(weights.map(JSONValue.double))
        }
        if let l2 { object["l2"] = .double(l2) }
        return .object(object)
    }
}
