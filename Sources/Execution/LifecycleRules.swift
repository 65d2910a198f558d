import Planning
import WorkflowModel

/// How stages move a run through its lifecycle statuses.
///
/// queued → generating data (generate, label or import running) → data ready (the training rows
/// exist) → training → fine-tuned → registered; or failed / cancelled.
enum LifecycleRules {
    static func statusWhileRunning(_ blueprint: StageBlueprint) -> RunStatus? {
        switch blueprint.id.stage {
        case "generate", "label", "import": return .generatingData
        case "train": return .training
        default: return nil
        }
    }

    /// The status after `blueprint` succeeds, given every stage of its run.
    static func statusAfterSuccess(_ blueprint: StageBlueprint, in run: [StageBlueprint]) -> RunStatus? {
        switch blueprint.id.stage {
        case "train": return .fineTuned
        case "register": return .registered
        default:
            let feedsTraining = run.contains { stage in
                guard stage.id.stage == "train", case .stage(let producer, _)? = stage.inputs["rows"] else { return false }
                return producer == blueprint.id
            }
            return feedsTraining ? .dataReady : nil
        }
    }
}
