import Basics
import TaskInterface
import WorkflowModel

extension GenerateSettings {
    /// Every key `training_set: {generate: …}` accepts, declared once: the manifest reader checks the
    /// section through it at load time and ``init(params:metric:seeds:stage:)`` checks the stage's params
    /// through the same ``SettingsSchema/check(_:labels:rules:)``. The keys sit at the top level of the
    /// stage's params, beside `metric`, `seed`, `feedback` and `max_calls`, which the planner and
    /// `lunette review` add.
    static let schema = SettingsSchema(
        section: "generate",
        parameters: [
            .init("count", .integer(1...Int.max), default: 2000, doc: "training rows to write"),
            .init("context_examples", .integer(0...Int.max), default: 5,
                  doc: "seed rows shown in each prompt (1 is wise for `rag` and `tools`)"),
            .init("examples_per_call", .integer(1...Int.max), default: 10, doc: "rows asked for in each call"),
            .init("label_distribution", .labelWeights(.atLeast(0), everyLabel: false), defaultText: "the seeds'",
                  doc: "label → weight: the share of calls asking for each label"),
            .init("instructions", .text, doc: "appended to every prompt"),
            .init("review_sample", .integer(0...Int.max), default: 50, doc: "rows copied to the `review` output"),
            .init("provider", .reference("provider"), defaultText: "the run's", doc: "the provider that writes the rows"),
        ],
        rules: [
            SettingsSchema.Rule { settings in
                guard let weights = settings["label_distribution"]?.objectValue, !weights.isEmpty,
                      !weights.values.contains(where: { ($0.doubleValue ?? 0) > 0 })
                else { return nil }
                return SettingsSchema.Issue(
                    path: [.key("label_distribution")], message: "label_distribution gives no label a positive weight",
                    hint: "give at least one label a weight above 0, or remove label_distribution", isRule: true)
            },
        ])
}

extension GenerateData {
    /// `generate:` (see ``GenerateSettings/schema``).
    public static var settings: SettingsSchema? { GenerateSettings.schema }
}
