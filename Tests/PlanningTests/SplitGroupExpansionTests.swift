import Basics
import Planning
import Testing
import WorkflowModel
import _TestSupport

/// `split: {group_by}` reaches the test set's load stage and the split, and nothing else.
@Suite struct SplitGroupExpansionTests {
    private func stages(_ run: Run) -> [String: StageBlueprint] {
        let built = ProjectBuilder("demo").adding(run).build()
        return Dictionary(
            uniqueKeysWithValues: StageExpansion.blueprints(for: run, in: built).map { ($0.id.stage, $0) })
    }

    @Test func groupByIsALoadAndSplitParamOnlyWhenSet() throws {
        let plain = ProjectBuilder.makeRun("tox", training: ProjectBuilder.upload("data/train.csv"))
        var grouped = plain
        grouped.groupBy = "conversation_id"
        let before = stages(plain)
        let after = stages(grouped)
        #expect(before["load"]?.params["group_by"] == nil)
        #expect(before["split"]?.params["group_by"] == nil)
        #expect(after["load"]?.params["group_by"] == "conversation_id")
        #expect(after["split"]?.params["group_by"] == "conversation_id")
        // Everything else about load is as without grouping; the training set's load never groups.
        var loadParams = try #require(after["load"]?.params)
        loadParams["group_by"] = nil
        #expect(loadParams == before["load"]?.params)
        #expect(after["load-training"]?.params == before["load-training"]?.params)
    }

    @Test func theSplitComparesTheMetricsFields() {
        var run = ProjectBuilder.makeRun("tox", training: ProjectBuilder.upload("data/train.csv"))
        run.metric.input = .inputOutput
        #expect(stages(run)["split"]?.params["input_format"] == "input_output")
    }
}
