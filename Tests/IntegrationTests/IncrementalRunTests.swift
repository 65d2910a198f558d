import Basics
import Foundation
import Planning
import Testing
import WorkflowModel
import Workspace

/// v1 → v2 manifests and edited inputs: exactly the right stages re-run.
@Suite("Incremental runs")
struct IncrementalRunTests {
    let allStages = [
        "load", "load-training", "split", "counts", "doubled", "train", "evaluate", "register",
    ]

    @Test("a first run runs every stage, a second runs none")
    func firstAndSecondRun() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        let (first, report) = try await workspace.run()
        // tone-b's stages up to train have the same keys as tone-a's: each runs once. evaluate names
        // its run in the report, so each run evaluates itself.
        #expect(first.count == 10)
        #expect(first.filter { $0.hasSuffix("/load") }.count == 1)
        #expect(first.contains("shop/tone-a/register") && first.contains("shop/tone-b/register"))
        #expect(first.contains("shop/tone-a/evaluate") && first.contains("shop/tone-b/evaluate"))
        #expect(report.reused == 4)
        #expect(try workspace.read("out/a-doubled.txt") == "16 16\n")
        // A lock write killed half-way by an earlier run left its temporary file; the next run removes it.
        try workspace.write("{\"half", to: "workflows/.tmp-2147483000-42")
        let (second, again) = try await workspace.run()
        #expect(second.isEmpty)
        #expect(again.reused == 14)
        let lock = try workspace.read("workflows/shop.lock")
        #expect(lock.contains("\"shop/tone-a/doubled\":"))
        #expect(!FileManager.default.fileExists(atPath: workspace.root.appendingPathComponent("workflows/.tmp-2147483000-42").path))
    }

    @Test("changing one run's hyperparameter re-runs only that run's train and what follows")
    func hyperparameterChange() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try await workspace.run()
        try workspace.switchTo("v2")
        let plan = try workspace.workspace().plan().plan
        let toRun = plan.stagesToRun.map(\.id.description).sorted()
        #expect(toRun.contains("shop/tone-a/train"))
        #expect(plan.stage(StageID("shop/tone-a/train")!)?.reason.text == "params.train.epochs changed 3 → 4")
        #expect(plan.stage(StageID("shop/tone-b/split")!)?.reason.text == "params.seed changed 3 → 5")
        let (ran, _) = try await workspace.run()
        #expect(
            ran == [
                "shop/tone-a/evaluate", "shop/tone-a/register", "shop/tone-a/train",
                "shop/tone-b/evaluate", "shop/tone-b/register", "shop/tone-b/split", "shop/tone-b/train",
            ])
    }

    @Test("changing the test file re-runs load and everything after it, in every run that uses it")
    func testFileChange() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try await workspace.run()
        var text = try workspace.read("data/test.csv")
        text += "\"One more polite line, thanks\",yes\n\"One more rude line\",no\n"
        try workspace.write(text, to: "data/test.csv")
        let plan = try workspace.workspace().plan().plan
        #expect(plan.stage(StageID("shop/tone-a/load")!)?.reason.text == "input source changed (content)")
        let (ran, _) = try await workspace.run()
        #expect(ran.count == 9)
        #expect(!ran.contains("shop/tone-a/load-training"))
        #expect(ran.contains("shop/tone-b/load") != ran.contains("shop/tone-a/load"))
        #expect(try workspace.read("out/a-doubled.txt") == "18 18\n")
    }

    @Test("--force re-runs the named stage and reuses what it needs")
    func forceNamedStageOnly() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try await workspace.run()
        let summary = try await workspace.workspace().run(RunRequest(targets: ["shop/tone-a/split"], force: true))
        let report = try #require(summary.report)
        #expect(report.outcomes.filter { $0.status == .succeeded }.map(\.id.description) == ["shop/tone-a/split"])
        #expect(report.outcomes.first { $0.id.stage == "load" }?.status == .reused)
    }

    @Test("touching a file without changing it re-runs nothing")
    func touchIsNotAChange() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try await workspace.run()
        let url = workspace.root.appendingPathComponent("data/test.csv")
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: url.path)
        let copy = try Data(contentsOf: url)
        try FileManager.default.removeItem(at: url)
        try copy.write(to: url)  // a new inode, as after `git checkout`
        let (ran, _) = try await workspace.run()
        #expect(ran.isEmpty)
    }

    @Test("a deleted exec output is restored from the cache without running the command")
    func restoresOutputs() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try await workspace.run()
        try FileManager.default.removeItem(at: workspace.root.appendingPathComponent("out/a-doubled.txt"))
        let (ran, _) = try await workspace.run()
        #expect(ran.isEmpty)
        #expect(try workspace.read("out/a-doubled.txt") == "16 16\n")
    }

    @Test("an upstream re-run with the same result lets the stages after it skip")
    func earlyCutoff() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try await workspace.run()
        // Same rows in another column order: load re-runs, its canonical rows are identical.
        let text = try workspace.read("data/train.csv").split(separator: "\n").enumerated().map { index, line -> String in
            guard index > 0, let comma = line.lastIndex(of: ",") else { return index == 0 ? "label,text" : String(line) }
            return "\(line[line.index(after: comma)...]),\(line[..<comma])"
        }.joined(separator: "\n") + "\n"
        try workspace.write(text, to: "data/train.csv")
        let (ran, report) = try await workspace.run()
        #expect(ran == ["shop/tone-a/load-training"] || ran == ["shop/tone-b/load-training"])
        let train = report.outcomes.first { $0.id.description == "shop/tone-a/train" }
        #expect(train?.status == .reused)
        #expect(train?.reason == "up to date (upstream re-ran with the same result)")
    }

    @Test("--keep-going skips only what depends on a failure, and says why")
    func keepGoing() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        var manifest = try workspace.read("workflows/shop.yaml")
        manifest = manifest.replacingOccurrences(of: "wc -l <", with: "exit 3; wc -l <")
        try workspace.write(manifest, to: "workflows/shop.yaml")
        let summary = try await workspace.workspace().run(RunRequest(keepGoing: true))
        let report = try #require(summary.report)
        let byID = Dictionary(uniqueKeysWithValues: report.outcomes.map { ($0.id.description, $0) })
        guard case .failed(let message)? = byID["shop/tone-a/counts"]?.status else {
            Issue.record("counts should fail")
            return
        }
        #expect(message.contains("exited with status 3"))
        #expect(byID["shop/tone-a/doubled"]?.status == .skipped(because: "upstream stage counts failed"))
        #expect(byID["shop/tone-b/register"]?.status == .succeeded)
        #expect(byID["shop/tone-a/register"]?.status == .succeeded)
        #expect(summary.updatedLocks.isEmpty)
        let status = try workspace.workspace().statuses().first { $0.run == "tone-a" }
        #expect(status?.status == .failed)
        #expect(status?.reason?.hasPrefix("stage counts failed: command exited with status 3") == true)
    }

    @Test("check passes on the committed lock in a clean copy with no cache, and names stale stages")
    func checkWithoutCache() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try await workspace.run()
        try FileManager.default.removeItem(at: workspace.root.appendingPathComponent("cache"))
        let clean = try workspace.workspace().check()
        #expect(clean.isUpToDate)
        #expect(clean.plan.stages.count == 14)
        try workspace.switchTo("v2")
        let stale = try workspace.workspace().check()
        #expect(stale.stale.map(\.id.description).contains("shop/tone-a/train"))
        #expect(stale.stale.first { $0.id.description == "shop/tone-a/train" }?.reason.text == "params.train.epochs changed 3 → 4")
    }

    @Test("verify reproduces every deterministic stage byte for byte, and catches one that is not")
    func verify() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try await workspace.run()
        let outcomes = try await workspace.workspace().verify()
        #expect(outcomes.count == 14)
        for outcome in outcomes { #expect(outcome.verdict == .matched, "\(outcome.id): \(outcome.verdict)") }

        var manifest = try workspace.read("workflows/shop.yaml")
        manifest = manifest.replacingOccurrences(
            of: "command: echo \"$(cat", with: "command: date +%s%N >> ../out/a-doubled.txt; echo \"$(cat")
        manifest = manifest.replacingOccurrences(of: "> ../out/a-doubled.txt\n", with: ">> ../out/a-doubled.txt\n")
        try workspace.write(manifest, to: "workflows/shop.yaml")
        try await workspace.run()
        let again = try await workspace.workspace().verify(targets: ["shop/tone-a/doubled"])
        let doubled = again.first { $0.id.description == "shop/tone-a/doubled" }
        guard case .differs(let output, _, _)? = doubled?.verdict else {
            Issue.record("expected a difference, got \(String(describing: doubled?.verdict))")
            return
        }
        #expect(output == "../out/a-doubled.txt" || output.hasSuffix("a-doubled.txt"))
    }
}
