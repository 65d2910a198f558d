import Basics
import Planning
import Testing
import WorkflowModel
import _TestSupport

@Suite struct TargetSelectionTests {
    private let projects = [
        ProjectBuilder("demo").run("toxicity").run("tone").build(),
        ProjectBuilder("other").run("toxicity").build(),
    ]

    private func selected(_ targets: [String]) throws -> [String] {
        try Fixture.plan(projects, targets: targets).stages.map(\.id.description)
    }

    @Test func everythingWhenNoTargets() throws {
        #expect(try selected([]).count == 18)
    }

    @Test func aProjectSelectsItsRunsOnly() throws {
        let ids = try selected(["demo"])
        #expect(ids.count == 12)
        #expect(ids.allSatisfy { $0.hasPrefix("demo/") })
        #expect(try selected(["demo/"]) == ids)
    }

    @Test func aRunSelectsItsStages() throws {
        #expect(try selected(["demo/tone"]) == [
            "demo/tone/load", "demo/tone/load-training", "demo/tone/split", "demo/tone/train", "demo/tone/evaluate",
            "demo/tone/register",
        ])
    }

    @Test func aStageSelectsItselfAndEverythingUpstream() throws {
        #expect(try selected(["demo/tone/split"]) == ["demo/tone/load", "demo/tone/split"])
        #expect(try selected(["demo/tone/train"]) == [
            "demo/tone/load", "demo/tone/load-training", "demo/tone/split", "demo/tone/train",
        ])
    }

    @Test func globsMatchWithinOneComponent() throws {
        #expect(try selected(["demo/*/split"]) == [
            "demo/tone/load", "demo/tone/split", "demo/toxicity/load", "demo/toxicity/split",
        ])
        #expect(try selected(["*/toxicity/load"]) == ["demo/toxicity/load", "other/toxicity/load"])
        #expect(try selected(["demo/to?e/load"]) == ["demo/tone/load"])
    }

    @Test func severalTargetsAreUnited() throws {
        #expect(try selected(["other/toxicity/load", "demo/tone/load"]) == ["demo/tone/load", "other/toxicity/load"])
    }

    @Test(arguments: [
        ("demo/toxicty", "did you mean 'demo/toxicity'?"),
        ("dem", "did you mean 'demo'?"),
        ("demo/tone/spilt", "did you mean 'demo/tone/split'?"),
        ("nothing/like/it/at/all", "targets are project, project/run or project/run/stage; `lunette status` lists runs"),
    ])
    func unknownTargetsSuggestTheClosest(_ target: String, _ remedy: String) throws {
        let error = try #require(throws: PlanningError.self) { try selected([target]) }
        #expect(error.code == .unknownTarget)
        #expect(error.message == "unknown target '\(target)'")
        #expect(error.remedy == remedy)
    }

}
