import Basics
import Foundation
import RunStore
import Testing
import Workspace
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// SIGKILL at random moments of a real run, many times over, and what must hold after each kill.
///
/// A reference workspace runs the `killable` case (load, split, the offline generator, exec stages
/// that write bit by bit, head-mode training on the tiny encoder, evaluate, register) once without
/// interruption. A second workspace then gets `LUNETTE_KILL_ROUNDS` rounds (20 by default;
/// `scripts/kill-anywhere --rounds N` for more) of `lunette run` killed after a seeded-random delay
/// spread over the reference run's whole duration — lunette alone, or (one round in three) its
/// process group and every stage process group it started. After each kill: `lunette cache verify`
/// finds nothing corrupt, the store passes `PRAGMA integrity_check`, a lock (if any) parses and is
/// the reference's, registry rows point at intact objects, and every object, index entry and memo
/// entry is one the reference run made. When a round leaves the work complete (and in one round in
/// four otherwise), the next round either starts again from nothing or re-runs everything with
/// `--force`, so kills keep landing in every stage. Finally a plain rerun must give the reference's
/// lock, registry, model bytes and stage outputs byte for byte.
@Suite("Kill anywhere", .serialized)
struct KillAnywhereTests {
    static let project = "killable"

    static var rounds: Int { environmentInteger("LUNETTE_KILL_ROUNDS") ?? 20 }
    static var seed: UInt64 { UInt64(environmentInteger("LUNETTE_KILL_SEED") ?? 20_251_125) }

    static func environmentInteger(_ name: String) -> Int? {
        ProcessInfo.processInfo.environment[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// A fresh copy of the `killable` case with the tiny random-weight encoder as its base model.
    static func makeWorkspace() throws -> CaseWorkspace {
        let workspace = try CaseWorkspace("killable", project: project)
        try TinyModel.write(to: workspace.models.appendingPathComponent("minilm-l6"))
        return workspace
    }

    @Test("SIGKILL anywhere never corrupts the cache, store, lock or registry; a rerun matches an uninterrupted run")
    func killAnywhere() async throws {
        let rounds = Self.rounds
        let seed = Self.seed
        let reference = try Self.makeWorkspace()
        let clock = Date()
        let uninterrupted = try await SpawnedLunette.run(["run"], in: reference)
        let duration = Date().timeIntervalSince(clock)
        try #require(uninterrupted.status == 0, "\(uninterrupted.output)\(uninterrupted.error)")
        #expect(uninterrupted.output.contains("registered polite@1"))

        let workspace = try Self.makeWorkspace()
        let logs = workspace.root.appendingPathComponent("test-logs")
        let invariants = WorkspaceInvariants(workspace, reference: reference)
        var random = SeededGenerator(seed: seed)
        var tally = KillTally()
        // How long a run takes from each kind of start, learnt from the rounds (set on a finish,
        // widened on each kill): kills are spread over the whole of the run they interrupt.
        var expected: [String: Double] = ["fresh": duration, "--force": duration, "resume": duration]
        var kind = "fresh"
        var observed: Set<String> = []
        for round in 0..<rounds {
            var arguments = ["run"]
            // Complete work starts again (from nothing, or with --force); so does one round in four
            // of unfinished work, so that kills keep landing in the early stages too.
            if Self.isComplete(workspace, like: reference) || random.next() % 4 == 0 {
                if random.next() % 2 == 0 {
                    arguments.append("--force")
                    kind = "--force"
                    tally.forced += 1
                } else {
                    try Self.reset(workspace)
                    kind = "fresh"
                    tally.resets += 1
                    tally.stageKillsSinceReset = 0
                }
            }
            let delay = Double(random.next() % 1_000_000) / 1_000_000 * (expected[kind] ?? duration) * 1.05
            let wholeGroup = random.next() % 3 == 0
            let started = Date()
            let process = try SpawnedLunette(
                arguments, in: workspace.root, environment: workspace.environment, logs: logs, label: "round-\(round)")
            let what = "round \(round) (seed \(seed)): `lunette \(arguments.joined(separator: " "))` "
                + "killed after \(String(format: "%.3f", delay))s, \(wholeGroup ? "with every process group" : "lunette alone")"
            if await process.wait(timeout: delay) {
                #expect(process.exitCode == 0, "\(what) finished first but failed: \(process.output)\(process.error)")
                tally.finished += 1
                // Learn from it (the reference run may have been slowed by a busy machine): this kind
                // takes about this long, and no kind not yet seen to finish takes longer.
                let took = Date().timeIntervalSince(started) * 1.1
                expected[kind] = took
                for other in expected.keys where !observed.contains(other) {
                    expected[other] = min(expected[other] ?? took, took)
                }
                observed.insert(kind)
            } else {
                process.kill(group: wholeGroup)
                if wholeGroup { ProcessGroups.killStageGroups(under: workspace.root) }
                let ended = await process.wait(timeout: 30)
                #expect(ended, "\(what): still running 30 s after SIGKILL")
                if !ended { await process.killAndReap() }
                tally.recordKill(output: process.output, group: wholeGroup)
                // A run that never gets to finish may take longer than thought: widen the window a little.
                expected[kind] = (expected[kind] ?? duration) * 1.15
                kind = "resume"
            }
            let problems = try await invariants.problems()
            #expect(problems.isEmpty, "\(what): \(problems.joined(separator: "; "))")
            if !problems.isEmpty { break }  // the next rounds would start from a broken state
        }

        // A plain rerun finishes the work and matches the uninterrupted run byte for byte.
        let rerun = try await SpawnedLunette.run(["run"], in: workspace)
        #expect(rerun.status == 0, "\(rerun.output)\(rerun.error)")
        #expect(try await invariants.problems().isEmpty)
        #expect(try workspace.read("workflows/\(Self.project).lock") == reference.read("workflows/\(Self.project).lock"))
        let outputs = WorkspaceInvariants.differences(
            reference.root.appendingPathComponent("out"), workspace.root.appendingPathComponent("out"))
        #expect(outputs.isEmpty, "stage outputs: \(outputs)")
        #expect(try Self.registryRows(workspace) == Self.registryRows(reference))
        let exported = try Self.exportModels(reference, workspace)
        #expect(exported.isEmpty, "registered model bytes: \(exported)")
        let check = try await SpawnedLunette.run(["check"], in: workspace)
        #expect(check.status == 0, "\(check.output)\(check.error)")
        #expect(ProcessGroups.liveStageProcesses(under: workspace.root).isEmpty)
        let store = try RunStore(path: workspace.root.appendingPathComponent("cache/lunette.sqlite"))
        let outcomes = try store.recentInvocations(limit: 100_000).map(\.outcome)
        #expect(!outcomes.contains("running"))
        if tally.stageKillsSinceReset > 0 { #expect(outcomes.contains("interrupted")) }

        print(tally.summary(rounds: rounds, seed: seed, duration: duration, elapsed: Date().timeIntervalSince(clock)))
        if ProcessInfo.processInfo.environment["LUNETTE_KILL_VERBOSE"] != nil {
            print(uninterrupted.output.split(separator: "\n").filter { $0.hasPrefix("ok ") }.joined(separator: "\n"))
        }
    }

    @Test("the next run ends every stage process a killed run left, recorded or not, and no other workspace's")
    func reapsByMarkerOnly() async throws {
        let target = "slow/first/after-slow"
        let workspace = try CaseWorkspace("slow", project: "slow")
        let other = try CaseWorkspace("slow", project: "slow")
        let logs = workspace.root.appendingPathComponent("test-logs")
        let environment = workspace.environment.merging(["SLOW_SECONDS": "30"]) { _, new in new }
        let killed = try SpawnedLunette(["run", target], in: workspace.root, environment: environment, logs: logs, label: "killed")
        let busy = try SpawnedLunette(
            ["run", target], in: other.root, environment: other.environment.merging(["SLOW_SECONDS": "30"]) { _, new in new },
            logs: logs, label: "other")
        defer {
            busy.kill(group: false)
            ProcessGroups.killStageGroups(under: other.root)
            ProcessGroups.killStageGroups(under: workspace.root)
        }
        try await ProcessTests.waitFor(workspace.root.appendingPathComponent("out/started"))
        let otherGroup = try #require(try await ProcessTests.stageGroup(other))
        let work = workspace.root.appendingPathComponent("cache/work")
        _ = try #require(ProcessTests.runningProcessGroup(in: work))
        // Lunette dies before it could record its stage (the file is gone), and an old, stale record
        // names a process group that now belongs to the other workspace's running stage.
        killed.kill(group: false)
        #expect(await killed.wait(timeout: 30))
        for folder in try FileManager.default.contentsOfDirectory(atPath: work.path) {
            try FileManager.default.removeItem(at: work.appendingPathComponent("\(folder)/process-group"))
        }
        try FileManager.default.createDirectory(at: work.appendingPathComponent("stage-stale"), withIntermediateDirectories: true)
        try Data("\(otherGroup)\n".utf8).write(to: work.appendingPathComponent("stage-stale/process-group"))
        #expect(!ProcessGroups.liveStageProcesses(under: workspace.root).isEmpty)  // the orphaned `sleep 30`

        let rerun = try await SpawnedLunette.run(["run", target], in: workspace, extra: ["SLOW_SECONDS": "0"])
        #expect(rerun.status == 0, "\(rerun.output)\(rerun.error)")
        #expect(ProcessGroups.liveStageProcesses(under: workspace.root).isEmpty, "the orphan outlived the next run")
        #expect(ProcessTests.liveProcesses(inGroup: otherGroup) > 0, "the other workspace's stage was killed")
        #expect(!busy.hasExited)
        busy.kill(group: false)
        await busy.wait(timeout: 10)
    }

    // MARK: Helpers

    /// Whether the workspace's lock is the reference's (a complete run happened).
    static func isComplete(_ workspace: CaseWorkspace, like reference: CaseWorkspace) -> Bool {
        let path = "workflows/\(project).lock"
        return (try? workspace.read(path)) == (try? reference.read(path))
    }

    /// Starts over: no cache, store, lock or outputs (stage processes of earlier rounds ended first).
    static func reset(_ workspace: CaseWorkspace) throws {
        ProcessGroups.killStageGroups(under: workspace.root)
        // From nothing: no committed results either (the lock, the scores file, the registry file).
        for path in ["cache", "out", "workflows/\(project).lock", "workflows/\(project).scores.json", "workflows/registry.jsonl"] {
            try? FileManager.default.removeItem(at: workspace.root.appendingPathComponent(path))
        }
    }

    static func registryRows(_ workspace: CaseWorkspace) throws -> [String] {
        try workspace.workspace([]).registeredMetrics().map(WorkspaceInvariants.registryRow)
    }

    /// Exports every registered model of both workspaces and compares the folders byte for byte.
    static func exportModels(_ reference: CaseWorkspace, _ workspace: CaseWorkspace) throws -> [String] {
        var problems: [String] = []
        for metric in try reference.workspace([]).registeredMetrics() {
            let left = reference.root.appendingPathComponent("export-\(metric.reference)")
            let right = workspace.root.appendingPathComponent("export-\(metric.reference)")
            try reference.workspace([]).export(metric, to: left)
            try workspace.workspace([]).export(try workspace.workspace([]).registeredMetric(metric.reference), to: right)
            problems += WorkspaceInvariants.differences(left, right)
            if WorkspaceInvariants.files(under: left).isEmpty { problems.append("\(metric.reference): nothing exported") }
        }
        return problems
    }
}

/// What the kills hit, for the summary line.
struct KillTally {
    var finished = 0
    var killedMidRun = 0
    var groupKills = 0
    var resets = 0
    var forced = 0
    /// Stage id (without the project/run prefix) or phase → kills that landed while it ran.
    var landedIn: [String: Int] = [:]

    /// Kills that landed in a stage since the store was last deleted (each leaves an `interrupted` row).
    var stageKillsSinceReset = 0

    /// Counts a kill and where it landed, from the killed process's output (written unbuffered).
    mutating func recordKill(output: String, group: Bool) {
        killedMidRun += 1
        if group { groupKills += 1 }
        var started: [String] = []
        var ended: Set<String> = []
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 2 else { continue }
            let stage = String(words[1].split(separator: "/").last ?? "")
            switch words[0] {
            case "run": started.append(stage)
            case "ok", "reuse", "FAIL", "stop", "skip": ended.insert(stage)
            default: continue
            }
        }
        let running = started.filter { !ended.contains($0) }
        if output.isEmpty {
            landedIn["(start-up, planning)", default: 0] += 1
        } else if output.contains("summary:") || output.contains("nothing to do") {
            landedIn["(after the summary: lock, store)", default: 0] += 1
        } else if running.isEmpty {
            landedIn["(between stages)", default: 0] += 1
        } else {
            for stage in running { landedIn[stage, default: 0] += 1 }
            stageKillsSinceReset += 1
        }
    }

    func summary(rounds: Int, seed: UInt64, duration: Double, elapsed: Double) -> String {
        let places = landedIn.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return """
            kill-anywhere: \(rounds) rounds, seed \(seed), uninterrupted run \(String(format: "%.2f", duration))s; \
            \(killedMidRun) killed mid-run (\(groupKills) with every process group), \(finished) finished before the kill, \
            \(resets) restarts from nothing, \(forced) --force re-runs; kills landed in: \(places); \
            total \(String(format: "%.1f", elapsed))s
            """
    }
}
