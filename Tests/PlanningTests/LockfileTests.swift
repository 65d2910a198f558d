import Basics
import Foundation
import Planning
import Testing
import WorkflowModel
import _TestSupport

@Suite struct LockfileTests {
    private func entry(_ task: String, params: [String: JSONValue], input: String, output: String) -> LockEntry {
        let parts = ActionKeyParts(task: task, version: 1, params: params, inputs: ["rows": .of(input)])
        return LockEntry(
            key: parts.key, parts: parts,
            outputs: [output: LockedOutput(digest: .of(output + input), size: 12, kind: "file")])
    }

    private func sampleLock() -> Lockfile {
        var lock = Lockfile(project: "demo")
        // Inserted out of order on purpose.
        lock.stages[StageID(project: "demo", run: "b", stage: "split")] = entry(
            "split", params: ["seed": 7, "seed_fraction": 0.2], input: "b rows", output: "seeds")
        lock.stages[StageID(project: "demo", run: "a", stage: "split")] = entry(
            "split", params: ["seed": 42, "seed_fraction": 0.2], input: "a rows", output: "seeds")
        lock.stages[StageID(project: "demo", run: "a", stage: "load")] = entry(
            "load-dataset", params: ["path": "data/test.csv", "columns": [:], "labels": ["false", "true"]],
            input: "csv", output: "rows")
        return lock
    }

    @Test func renderedTextIsExact() {
        var lock = Lockfile(project: "demo")
        let parts = ActionKeyParts(task: "split", version: 1, params: ["seed": 42, "seed_fraction": 0.2], inputs: ["rows": .of("rows")])
        lock.stages[StageID(project: "demo", run: "tox", stage: "split")] = LockEntry(
            key: parts.key, parts: parts,
            outputs: [
                "seeds": LockedOutput(digest: .of("seeds"), size: 10, kind: "file"),
                "eval": LockedOutput(digest: .of("eval"), size: 40, kind: "file"),
            ])
        let rows = ContentHash.of("rows").description
        let seeds = ContentHash.of("seeds").description
        let eval = ContentHash.of("eval").description
        #expect(
            lock.rendered() == """
                # Lunette lock for project demo: written by `lunette run`, checked by `lunette check`. Do not edit.
                version: 1
                stages:

                  "demo/tox/split":
                    task: "split"
                    version: 1
                    key: "sha256:79bc8f0a03f454f0ee174cfd5fca61097fed73c73aadbdf4838d4d44a08ee9e0"
                    params: {"seed":42,"seed_fraction":0.2}
                    inputs: {"rows":"\(rows)"}
                    outputs: {"eval":{"digest":"\(eval)","kind":"file","size":40},"seeds":{"digest":"\(seeds)","kind":"file","size":10}}

                """)
    }

    @Test func renderParseRoundTripIsByteStable() throws {
        let lock = sampleLock()
        let text = lock.rendered()
        let parsed = try Lockfile.parse(text, file: "workflows/demo.lock")
        #expect(parsed == lock)
        #expect(parsed.project == "demo")
        #expect(parsed.rendered() == text)
        #expect(lock.rendered() == text)
    }

    @Test func stagesAreSortedAndSeparatedByBlankLines() {
        let text = sampleLock().rendered()
        let headers = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .filter { $0.element.hasPrefix("  \"") }
        #expect(headers.map(\.element) == ["  \"demo/a/load\":", "  \"demo/a/split\":", "  \"demo/b/split\":"])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for header in headers { #expect(lines[header.offset - 1] == "") }
        #expect(text.hasSuffix("}\n"))
    }

    @Test func aPlanLockedAndReparsedPlansTheSame() throws {
        let project = ProjectBuilder("demo").run("tox", train: ["learning_rate": 3e-05, "epochs": 3]).build()
        let plan = try Fixture.plan([project], cached: Fixture.everythingCached())
        let lock = Fixture.lock(from: plan)
        let reparsed = try Lockfile.parse(lock.rendered(), file: "workflows/demo.lock")
        #expect(reparsed == lock)
        let checked = try Fixture.plan([project], locks: ["demo": reparsed], trustLock: true)
        #expect(checked.stages.allSatisfy { $0.action == .skip })
    }

    @Test(arguments: [
        ("version: 2\n", "workflows/demo.lock:1: unsupported lock version '2' (this Lunette reads version 1)"),
        ("version: 1\nstages:\n\n  demo/a/load:\n", "workflows/demo.lock:4: expected a stage id like \"project/run/stage\""),
        ("version: 1\nstages:\n\n  \"demo/a\":\n", "workflows/demo.lock:4: expected a stage id like \"project/run/stage\""),
        ("version: 1\nstages:\n  \"demo/a/load\":\n    task: load\n", "workflows/demo.lock:4: the value of 'task' is not valid JSON"),
        ("version: 1\nstages:\n\n  \"demo/a/load\":\n    task: \"load\"\n\n  \"demo/a/split\":\n",
            "workflows/demo.lock:4: a stage entry needs task, version, key, params, inputs and outputs"),
        ("version: 1\nbogus\n", "workflows/demo.lock:2: unexpected line 'bogus'"),
    ])
    func parseErrorsNameTheLine(_ text: String, _ message: String) throws {
        let error = try #require(throws: PlanningError.self) { try Lockfile.parse(text, file: "workflows/demo.lock") }
        #expect(error.code == .invalidLock)
        #expect(error.message == message)
        #expect(error.remedy == "the lock is written by `lunette run`; restore it from git or delete it and re-run")
    }

    @Test func badDigestsAreRejected() throws {
        let text = sampleLock().rendered()
        let broken = text.replacingOccurrences(of: "inputs: {\"rows\":\"sha256:", with: "inputs: {\"rows\":\"md5:")
        let error = try #require(throws: PlanningError.self) { try Lockfile.parse(broken, file: "l.lock") }
        #expect(error.message == "l.lock:5: input 'rows' has no valid digest")
    }

    /// Two branches that re-ran different stages merge without conflicts, like Package.resolved.
    @Test func branchesChangingDifferentStagesMergeCleanly() throws {
        let base = sampleLock()
        var ours = base
        ours.stages[StageID(project: "demo", run: "a", stage: "load")] = entry(
            "load-dataset", params: ["path": "data/test.csv", "columns": [:], "labels": ["false", "true"]],
            input: "csv v2", output: "rows")
        var theirs = base
        theirs.stages[StageID(project: "demo", run: "a", stage: "split")] = entry(
            "split", params: ["seed": 43, "seed_fraction": 0.2], input: "a rows", output: "seeds")
        var expected = ours
        expected.stages[StageID(project: "demo", run: "a", stage: "split")] =
            theirs.stages[StageID(project: "demo", run: "a", stage: "split")]

        let temp = try TemporaryDirectory(prefix: "planning")
        defer { temp.remove() }
        let oursURL = try temp.write(ours.rendered(), to: "ours.lock")
        let baseURL = try temp.write(base.rendered(), to: "base.lock")
        let theirsURL = try temp.write(theirs.rendered(), to: "theirs.lock")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["merge-file", "-p", oursURL.path, baseURL.path, theirsURL.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let merged = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "git merge-file reported conflicts:\n\(merged)")
        #expect(merged == expected.rendered())
        #expect(try Lockfile.parse(merged, file: "merged.lock") == expected)
    }

    @Test func aLargeLockParsesInPiecesAsAWhole() throws {
        var lock = Lockfile(project: "big")
        for run in 0..<1_000 {
            for stage in ["load", "split"] {
                lock.stages[StageID(project: "big", run: "r\(run)", stage: stage)] = entry(
                    stage, params: ["seed": .int(run), "note": "ünïcode ✓"], input: "rows \(run)", output: stage)
            }
        }
        let text = lock.rendered()
        #expect(text.utf8.count > 65_536, "big enough to be cut into pieces")
        #expect(try Lockfile.parse(text, file: "workflows/big.lock") == lock)
        // A problem far into the file is reported at its own line, whichever piece it fell in.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let target = lines.count - 40
        let damaged = try #require(lines[target...].firstIndex { $0.hasPrefix("    inputs: ") })
        lines[damaged] = "    inputs: {not json"
        let error = try #require(throws: PlanningError.self) {
            try Lockfile.parse(lines.joined(separator: "\n"), file: "workflows/big.lock")
        }
        #expect(error.message == "workflows/big.lock:\(damaged + 1): the value of 'inputs' is not valid JSON")
        // Two problems: the first in the file's order is the one reported.
        let early = try #require(lines.firstIndex { $0.hasPrefix("    inputs: ") })
        lines[early] = "    inputs: {not json"
        let first = try #require(throws: PlanningError.self) {
            try Lockfile.parse(lines.joined(separator: "\n"), file: "workflows/big.lock")
        }
        #expect(first.message == "workflows/big.lock:\(early + 1): the value of 'inputs' is not valid JSON")
    }
}
