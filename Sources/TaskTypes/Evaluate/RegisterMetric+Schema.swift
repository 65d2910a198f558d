import Basics
import TaskInterface
import WorkflowModel

extension RegisterMetric {
    /// Every key `gate:` accepts (one per ``WorkflowModel/GateCheck/bounds``), declared once; the stage
    /// reads them from its `gate` param.
    public static var settings: SettingsSchema? { schema }

    static let schema = SettingsSchema(
        section: "gate", paramsKey: "gate",
        parameters: GateCheck.bounds.map { bound in
            .init(bound.key, .number(.closed(0, 1)), doc: "the lowest \(bound.label) the run may register with")
        })
}
