import Basics
import MLCore
import TaskInterface

/// The `train:` settings of a run, with their defaults (documented in `Train.md`).
///
/// Read from the stage's `train` parameter (an object; absent keys take the defaults). Unknown keys
/// and values of the wrong type are errors naming the key and the fix.
public struct TrainSettings: Sendable, Equatable {
    /// `head`: frozen encoder, linear head on cached embeddings; `full`: every layer fine-tuned; `auto`:
    /// whichever of the two scores the higher out-of-fold macro-F1 (``TrainJob``).
    public enum Mode: String, Sendable, CaseIterable { case auto, head, full }
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

    public var mode: Mode = .auto
    public var pooling: Pooling = .mean
    public var epochs = 4
    public var learningRate = 5e-5
    public var batchSize = 16
    public var maxTokens = 128
    public var warmupRatio = 0.1
    public var weightDecay = 0.01
    public var classWeights: ClassWeighting = .automatic
    /// A held-out slice for early stopping (0: none; model selection is cross-validated instead).
    public var validationFraction = 0.0
    /// Cross-validation folds for model selection; `nil` = by size (``folds(mode:rows:smallestLabel:)``), 0 = off.
    public var crossValidationFolds: Int?
    /// How a boolean metric's threshold is chosen on the out-of-fold predictions.
    public var threshold: ThresholdPolicy = .macroF1
    public var seed: Int
    public var threads: Int
    /// Epochs without a better validation score before full training stops.
    public var patience = 2
    public var dropout = 0.1
    public var maxGradientNorm = 1.0
    /// Head mode: the L2 strength; `nil` picks it from ``l2Candidates`` by k-fold cross-validation on the training rows.
    public var l2: Double?
    /// Whether the 20% seed rows of the test set are added to the training rows.
    public var includeSeeds = true
    /// Full mode: fine-tunes this many models (seeds `seed`, `seed + 1`, …) whose probabilities are averaged.
    public var seeds = 1

    /// The L2 strengths head mode tries when ``l2`` is not set (strongest first; each fit warm-starts from the previous).
    public static let l2Candidates: [Double] = [1, 3e-1, 1e-1, 3e-2, 1e-2, 3e-3, 1e-3]
    /// The L2 strength head mode uses when there are too few rows to cross-validate.
    public static let defaultL2 = 1e-2
    /// Full mode cross-validates by default while training rows × epochs stays within this budget
    /// (3 folds cost about 2× the final fine-tune: ~3–7 extra minutes on 2 cores at the limit).
    public static let fullCrossValidationBudget = 4_000

    /// Every key `train:` accepts.
    public static let keys = [
        "batch_size", "class_weights", "cv_folds", "dropout", "epochs", "include_seeds", "l2", "learning_rate",
        "max_gradient_norm", "max_tokens", "mode", "patience", "pooling", "seed", "seeds", "threads", "threshold",
        "validation_fraction", "warmup_ratio", "weight_decay",
    ]

    /// Settings with every default; `seed` is the run's seed, `threads` from `LUNETTE_THREADS` (else 2).
    public init(seed: Int = 42, environment: [String: String] = [:]) {
        self.seed = seed
        if let text = environment["LUNETTE_THREADS"], let count = Int(text), count > 0 {
            threads = count
        } else {
            threads = 2
        }
    }

    /// Reads the stage's params: `train` (the settings object) and `seed` (the run's seed).
    ///
    /// - Throws: ``TaskError`` naming the key (`train.epochs`) for an unknown key or a bad value.
    public init(params: [String: JSONValue], environment: [String: String]) throws {
        self.init(seed: params["seed"]?.intValue ?? 42, environment: environment)
        guard let value = params["train"], value != .null else { return }
        guard let object = value.objectValue else { throw Self.bad("train", "an object of settings") }
        for key in object.keys.sorted() where !Self.keys.contains(key) {
            let hint = Suggestion.hint(for: key, in: Self.keys).map { " (\($0))" } ?? ""
            throw TaskError("unknown setting train.\(key)\(hint)", remedy: "use one of: \(Self.keys.joined(separator: ", "))",
                            code: .invalidInput)
        }
        func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let value = object[key] else { return nil }
            guard let number = value.intValue, range.contains(number) else {
                throw Self.bad(key, "an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        func number(_ key: String, _ range: ClosedRange<Double>) throws -> Double? {
            guard let value = object[key] else { return nil }
            guard let number = value.doubleValue, range.contains(number) else {
                throw Self.bad(key, "a number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        if let value = object["mode"] {
            guard let mode = value.stringValue.flatMap(Mode.init(rawValue:)) else { throw Self.bad("mode", "auto, head or full") }
            self.mode = mode
        }
        if let value = object["pooling"] {
            guard let pooling = value.stringValue.flatMap(Pooling.init(rawValue:)) else { throw Self.bad("pooling", "mean or cls") }
            self.pooling = pooling
        }
        epochs = try int("epochs", 1...1_000) ?? epochs
        learningRate = try number("learning_rate", 1e-9...1) ?? learningRate
        batchSize = try int("batch_size", 1...4_096) ?? batchSize
        maxTokens = try int("max_tokens", 8...512) ?? maxTokens
        warmupRatio = try number("warmup_ratio", 0...1) ?? warmupRatio
        weightDecay = try number("weight_decay", 0...10) ?? weightDecay
        validationFraction = try number("validation_fraction", 0...0.5) ?? validationFraction
        seed = try int("seed", Int.min...Int.max) ?? seed
        threads = try int("threads", 1...256) ?? threads
        patience = try int("patience", 1...1_000) ?? patience
        dropout = try number("dropout", 0...0.9) ?? dropout
        maxGradientNorm = try number("max_gradient_norm", 1e-6...1e6) ?? maxGradientNorm
        l2 = try number("l2", 1e-12...1e6) ?? l2
        seeds = try int("seeds", 1...10) ?? seeds
        if seeds > 1, mode == .head {
            throw TaskError("train.seeds: \(seeds) needs mode full or auto: head mode's fit does not depend on the seed",
                            remedy: "remove train.seeds, or set train.mode to full or auto", code: .invalidInput)
        }
        if let value = object["cv_folds"], value != .string("auto") {
            guard let folds = value.intValue, folds == 0 || (2...20).contains(folds) else {
                throw Self.bad("cv_folds", "auto, 0 (off) or an integer from 2 to 20")
            }
            crossValidationFolds = folds
        }
        if let value = object["threshold"] {
            guard let policy = ThresholdPolicy(json: value) else {
                throw Self.bad("threshold", "macro_f1, f1, none, {target_precision: P} or {target_recall: R} with 0 < P, R ≤ 1")
            }
            threshold = policy
        }
        if let value = object["include_seeds"] {
            guard let flag = value.boolValue else { throw Self.bad("include_seeds", "true or false") }
            includeSeeds = flag
        }
        if let value = object["class_weights"] {
            switch value {
            case .string("balanced"): classWeights = .balanced
            case .string("none"): classWeights = .none
            case .string("auto"): classWeights = .automatic
            case .array(let items):
                let weights = items.compactMap(\.doubleValue)
                guard weights.count == items.count, weights.allSatisfy({ $0 > 0 }) else {
                    throw Self.bad("class_weights", "balanced, none, or a list of positive numbers (one per label)")
                }
                classWeights = .explicit(weights)
            default: throw Self.bad("class_weights", "balanced, none, or a list of positive numbers (one per label)")
            }
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
                throw Self.bad("class_weights", "a list of \(counts.count) numbers, one per label (got \(weights.count))")
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
            "cv_folds": crossValidationFolds.map(JSONValue.int) ?? "auto",
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

    static func bad(_ key: String, _ expected: String) -> TaskError {
        TaskError("train.\(key) must be \(expected)", remedy: "fix train.\(key) in the run's manifest", code: .invalidInput)
    }
}
