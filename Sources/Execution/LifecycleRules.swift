import Planning
import TaskInterface
import WorkflowModel

/// How stages move a run through its lifecycle statuses, from what their task types declare alone:
/// ``TaskInterface/TaskType/statusWhileRunning``, ``TaskInterface/TaskType/statusAfterSuccess`` and
/// ``TaskInterface/TaskType/statusWhenInputProduced``. No stage name is known here, so a pipeline
/// with other stage names, or a task type of a library user's, gets its statuses the same way.
///
/// With the built-in task types: queued → generating data (generate, label or import running) → data
/// ready (the stage making train's rows succeeded) → training → fine-tuned → registered; or failed /
/// cancelled.
struct LifecycleRules {
    let registry: TaskTypeRegistry

    /// The status while `blueprint` runs.
    func statusWhileRunning(_ blueprint: StageBlueprint) -> RunStatus? {
        registry.taskType(id: blueprint.task)?.statusWhileRunning
    }

    /// The status after `blueprint` succeeds, given every stage of its run: its task type's own
    /// declaration, else what a stage reading one of its outputs declares for that input.
    func statusAfterSuccess(_ blueprint: StageBlueprint, in run: [StageBlueprint]) -> RunStatus? {
        if let own = registry.taskType(id: blueprint.task)?.statusAfterSuccess { return own }
        for consumer in run {
            for (input, source) in consumer.inputs.sorted(by: { $0.key < $1.key }) {
                guard case .stage(let producer, _) = source, producer == blueprint.id,
                    let status = registry.taskType(id: consumer.task)?.statusWhenInputProduced[input]
                else { continue }
                return status
            }
        }
        return nil
    }

    /// The status of a run whose stages (the task type ids in `tasks`) all completed: the latest, in
    /// ``WorkflowModel/RunStatus``'s declaration order, that their types declare after success, and at
    /// least `data ready`.
    func finalStatus(tasks: [String]) -> RunStatus {
        let declared = tasks.compactMap { registry.taskType(id: $0)?.statusAfterSuccess }
        return declared.reduce(RunStatus.dataReady) { Self.rank($1) > Self.rank($0) ? $1 : $0 }
    }

    private static func rank(_ status: RunStatus) -> Int { RunStatus.allCases.firstIndex(of: status) ?? 0 }
}
