import Basics
import MLCore
import TaskInterface
import WorkflowModel

extension TrainSettings {
    /// Every key `train:` accepts: its kind, limits, default and meaning, declared once. The manifest
    /// reader checks a run's `train:` through it at load time, ``init(params:environment:)`` checks the
    /// stage's `train` param through the same ``SettingsSchema/check(_:labels:rules:)``, the planner leaves
    /// `threads` out of the action key, and the manifest reference's `train:` table is compared with it.
    public static let schema = SettingsSchema(
        section: "train", paramsKey: "train",
        parameters: [
            .init("mode", .choice(Mode.allCases.map(\.rawValue)), default: "auto",
                  doc: "`head`: frozen encoder and a linear head on cached embeddings; `full`: every layer fine-tuned; `auto`: whichever of the two scores the higher out-of-fold macro-F1"),
            .init("pooling", .choice(Pooling.allCases.map(\.rawValue)), default: "mean",
                  doc: "how token vectors become one text vector"),
            .init("epochs", .integer(1...1_000), default: 4, doc: "full mode: passes over the training rows"),
            .init("learning_rate", .number(.closed(1e-9, 1)), default: 5e-5, doc: "full mode: AdamW's peak learning rate"),
            .init("batch_size", .integer(1...4_096), default: 16, doc: "full mode: rows per step"),
            .init("max_tokens", .integer(8...512), default: 128, doc: "texts are cut to this many tokens"),
            .init("warmup_ratio", .number(.closed(0, 1)), default: 0.1, doc: "full mode: share of steps warming the learning rate up"),
            .init("weight_decay", .number(.closed(0, 10)), default: 0.01, doc: "full mode: AdamW's weight decay"),
            .init("class_weights",
                  .anyOf([.choice(["auto", "balanced", "none"]), .perLabel(.above(0)), .labelWeights(.above(0), everyLabel: true)]),
                  default: "auto",
                  doc: "`auto` = `balanced` when the largest class has more than 2× the rows of the smallest, else `none`; `balanced` = n / (labels · n_label); or explicit weights, as a list or as label → weight"),
            .init("validation_fraction", .number(.closed(0, 0.5)), default: 0,
                  doc: "full mode: a held-out slice for early stopping (0: none; selection is cross-validated)"),
            .init("cv_folds", .anyOf([.choice(["auto"]), .integer(0...0), .integer(2...20)]), default: "auto",
                  doc: "cross-validation folds for model selection; `auto` by size, 0 = off"),
            .init("threshold",
                  .anyOf([.choice(["macro_f1", "f1", "none"]),
                          .oneTarget([("target_precision", .init(lower: 0, lowerInclusive: false, upper: 1)),
                                      ("target_recall", .init(lower: 0, lowerInclusive: false, upper: 1))])]),
                  default: "macro_f1", doc: "how a boolean metric's threshold is chosen on the out-of-fold predictions"),
            .init("seed", .integer(Int.min...Int.max), defaultText: "the run's seed", doc: "shuffling, dropout, folds and initialisation"),
            .init("seeds", .integer(1...10), default: 1,
                  doc: "full mode: fine-tunes this many models (seeds `seed`, `seed + 1`, …) and averages their probabilities"),
            .init("threads", .integer(1...256), defaultText: "`LUNETTE_THREADS`, else 2",
                  doc: "CPU threads for the encoder; the model is the same bytes whatever the count", affectsResults: false),
            .init("patience", .integer(1...1_000), default: 2, doc: "full mode: epochs without a better validation score before stopping"),
            .init("dropout", .number(.closed(0, 0.9)), default: 0.1, doc: "full mode: dropout probability"),
            .init("max_gradient_norm", .number(.closed(1e-6, 1e6)), default: 1, doc: "full mode: gradients are clipped to this norm"),
            .init("l2", .number(.closed(1e-12, 1e6)), defaultText: "chosen by cross-validation",
                  doc: "head mode: the L2 strength of the linear head"),
            .init("include_seeds", .boolean, default: true, doc: "whether the test set's seed rows are added to the training rows"),
            .init("pair_features", .boolean, default: true,
                  doc: "head mode over a pair (`input_output`, `rag`, `tools`): the head also reads each side encoded alone, their difference and their product (`head_features: pair` in `metric.json`)"),
        ],
        rules: [
            SettingsSchema.Rule { settings in
                guard settings["mode"] == "head", let seeds = settings["seeds"]?.intValue, seeds > 1 else { return nil }
                return SettingsSchema.Issue(
                    path: [.key("seeds")], message: "seeds: \(seeds) needs mode full or auto: head mode's fit does not depend on the seed",
                    hint: "remove seeds, or set mode to full or auto", isRule: true)
            },
        ])

    /// The stage's error for the first problem ``schema`` finds, worded as `lunette check` words it.
    static func error(_ issue: SettingsSchema.Issue) -> TaskError { schema.stageError(issue) }

    /// A default of ``schema``, for the stored properties' initial values.
    static func defaultValue(_ name: String) -> JSONValue {
        schema[name]?.defaultValue ?? .null
    }
}

extension Train {
    /// `train:` (see ``TrainSettings/schema``).
    public static var settings: SettingsSchema? { TrainSettings.schema }
}
