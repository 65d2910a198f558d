import TaskInterface
import TaskTypes
import Testing
import WorkflowModel
import _TestSupport

/// The lifecycle statuses the built-in task types declare (the only place statuses come from), and
/// the engine tests' fakes declaring the same.
@Suite struct DeclaredStatusesTests {
    @Test func builtinTaskTypesDeclareTheLifecycle() throws {
        let registry = TaskTypeRegistry.builtin
        for id in registry.ids {
            let type = try #require(registry.taskType(id: id))
            let expected = FakeTasks.builtinStatuses[id]
            #expect(type.statusWhileRunning == expected?.whileRunning, "\(id)")
            #expect(type.statusAfterSuccess == expected?.afterSuccess, "\(id)")
            #expect(type.statusWhenInputProduced == expected?.whenInputProduced ?? [:], "\(id)")
        }
        #expect(registry.taskType(id: "train")?.statusWhenInputProduced == ["rows": .dataReady])
        #expect(registry.taskType(id: "register")?.statusAfterSuccess == .registered)
        #expect(registry.taskType(id: "generate")?.statusWhileRunning == .generatingData)
    }

    /// Every task the built-in pipeline names is a built-in task type.
    @Test func pipelineNamesBuiltinTaskTypes() {
        let ids = Set(TaskTypeRegistry.builtin.ids)
        for stage in Pipeline.builtin.stages { #expect(ids.contains(stage.task), "\(stage.name): \(stage.task)") }
    }
}
