import Basics
import TaskInterface
import WorkflowModel

extension SplitDataset {
    /// Every key `split:` accepts, declared once; the keys sit at the top level of the stage's params.
    public static var settings: SettingsSchema? { schema }

    static let schema = SettingsSchema(
        section: "split",
        parameters: [
            .init("seed_fraction", .number(.init(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: false)),
                  default: .double(defaultSeedFraction), doc: "the share of the test set used as seeds; the rest are eval rows"),
            .init("group_by", .text, doc: "a column of the test set whose rows stay on one side (a conversation id)"),
        ])
}
