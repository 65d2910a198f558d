import Basics
import Foundation
import GRDB
import Testing
import WorkflowModel

@testable import RunStore

@Suite("RunStore")
struct RunStoreTests {
    @Test("migrations apply and the file is sound", arguments: StoreBackend.allCases)
    func migrationsApply(backend: StoreBackend) throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        #expect(store.schemaVersion == "v3: state generation")
        #expect(try store.integrityCheck() == ["ok"])
        let tables = try store.read("list tables") { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        }
        #expect(
            tables == [
                "grdb_migrations", "invocation", "metric_alias", "registered_metric", "run", "stage_execution", "stat_cache",
                "state_generation",
            ])
        if backend == .file {
            let mode = try store.read("read journal mode") { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
        }
    }

    @Test("an invocation and its stages round-trip", arguments: StoreBackend.allCases)
    func invocationRoundTrip(backend: StoreBackend) throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        let invocation = try store.beginInvocation(command: "lunette run support", pid: 4242, at: date(0))
        let stage = try store.beginStage(
            invocation: invocation, stageID: "support/tox/train", task: "train", key: "sha256:abc",
            reason: "params.learning_rate changed 2e-5 → 3e-5", action: "run", at: date(1.25))
        let lines = (1...80).map { "line \($0)" }
        try store.finishStage(
            stage, outcome: "failed", duration: 12.5, error: "out of memory", summary: nil,
            outputs: ["model": "sha256:def"], logTail: lines)
        try store.finishInvocation(invocation, outcome: "failed", stats: ["ran": 1, "reused": 3, "failed": 1], at: date(20))

        let records = try store.executions(invocation: invocation)
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record.stageID == "support/tox/train")
        #expect(record.actionKey == "sha256:abc")
        #expect(record.reason == "params.learning_rate changed 2e-5 → 3e-5")
        #expect(record.startedAt == date(1.25))
        #expect(record.duration == 12.5)
        #expect(record.outcome == "failed")
        #expect(record.error == "out of memory")
        #expect(record.summary == nil)
        #expect(record.outputs == ["model": "sha256:def"])
        #expect(record.logTail == Array(lines.suffix(50)))

        let invocations = try store.recentInvocations(limit: 10)
        #expect(invocations == [
            InvocationRecord(
                id: invocation, command: "lunette run support", pid: 4242, startedAt: date(0), finishedAt: date(20),
                outcome: "failed", stats: ["failed": 1, "ran": 1, "reused": 3])
        ])
        let error = #expect(throws: StoreError.self) {
            try store.finishStage(999, outcome: "succeeded", duration: 0, error: nil, summary: nil, outputs: [:], logTail: [])
        }
        #expect(error?.code == .notFound)
    }

    @Test("setting a run's status again keeps created_at", arguments: StoreBackend.allCases)
    func runStatusKeepsCreatedAt(backend: StoreBackend) throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        try store.setRunStatus(project: "support", run: "tox", status: .queued, reason: nil, at: date(0))
        try store.setRunStatus(project: "support", run: "brand", status: .generatingData, reason: nil, at: date(5))
        try store.setRunStatus(project: "support", run: "tox", status: .failed, reason: "gate: f1 0.71 < 0.80", at: date(60))
        #expect(try store.runStatuses() == [
            RunStatusRecord(project: "support", run: "brand", status: .generatingData, reason: nil, createdAt: date(5), updatedAt: date(5)),
            RunStatusRecord(project: "support", run: "tox", status: .failed, reason: "gate: f1 0.71 < 0.80", createdAt: date(0), updatedAt: date(60)),
        ])
        try store.setRunStatus(project: "support", run: "tox", status: .fineTuned, reason: nil, at: date(90))
        let tox = try store.runStatuses().first { $0.run == "tox" }
        #expect(tox?.status == .fineTuned)
        #expect(tox?.reason == nil)
        #expect(tox?.createdAt == date(0))
    }

    @Test("the state generation moves with statuses and the registry, not with history", arguments: StoreBackend.allCases)
    func stateGeneration(backend: StoreBackend) throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        var last = try store.stateGeneration()
        func moved() throws -> Bool {
            let now = try store.stateGeneration()
            defer { last = now }
            return now != last
        }
        try store.setRunStatus(project: "support", run: "tox", status: .queued, reason: nil, at: date(0))
        #expect(try moved(), "a new run's status")
        try store.setRunStatus(project: "support", run: "tox", status: .queued, reason: nil, at: date(5))
        #expect(try !moved(), "the same status again (only updated_at changes)")
        try store.setRunStatus(project: "support", run: "tox", status: .queued, reason: "waiting", at: date(6))
        #expect(try moved(), "a new reason")
        try store.setRunStatus(project: "support", run: "tox", status: .registered, reason: "waiting", at: date(7))
        #expect(try moved(), "a new status")
        let invocation = try store.beginInvocation(command: "lunette run", pid: 1, at: date(8))
        let stage = try store.beginStage(
            invocation: invocation, stageID: "support/tox/load", task: "load-dataset", key: nil, reason: "never run",
            action: "run", at: date(8))
        try store.finishStage(stage, outcome: "succeeded", duration: 1, error: nil, summary: nil, outputs: [:], logTail: [])
        try store.finishInvocation(invocation, outcome: "succeeded", stats: ["ran": 1], at: date(9))
        _ = try store.markInterrupted(at: date(10))
        #expect(try !moved(), "history")
        _ = try store.register(
            name: "tox", modelDigest: "sha256:aa", reportDigest: nil, project: "support", run: "tox", manifestDigest: nil,
            summary: "{}", at: date(11))
        #expect(try moved(), "a registered metric")
        try store.setAlias("champion", name: "tox", version: 1, at: date(12))
        #expect(try moved(), "an alias")
        let (other, cleanupOther) = try backend.makeStore()
        defer { cleanupOther() }
        #expect(try other.stateGeneration() != (try backend.makeStore().store.stateGeneration()), "fresh stores start apart")
    }

    @Test("markInterrupted turns what a killed process left running into 'interrupted'", arguments: StoreBackend.allCases)
    func markInterrupted(backend: StoreBackend) throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        let finished = try store.beginInvocation(command: "lunette run", pid: 1, at: date(0))
        let done = try store.beginStage(invocation: finished, stageID: "p/r/load", task: "load-dataset", key: nil, reason: "never run", action: "run", at: date(0))
        try store.finishStage(done, outcome: "succeeded", duration: 1, error: nil, summary: "10 rows", outputs: [:], logTail: ["ok"])
        try store.finishInvocation(finished, outcome: "succeeded", stats: ["ran": 1], at: date(2))
        let killed = try store.beginInvocation(command: "lunette run", pid: 2, at: date(10))
        _ = try store.beginStage(invocation: killed, stageID: "p/r/train", task: "train", key: "sha256:1", reason: "never run", action: "run", at: date(11))

        #expect(try store.markInterrupted(at: date(100)) == 1)
        let invocations = try store.recentInvocations(limit: 5)
        #expect(invocations.map(\.outcome) == ["interrupted", "succeeded"])
        #expect(invocations.first?.finishedAt == date(100))
        #expect(try store.executions(invocation: killed).map(\.outcome) == ["interrupted"])
        #expect(try store.executions(invocation: finished).map(\.outcome) == ["succeeded"])
        #expect(try store.markInterrupted(at: date(200)) == 0)
    }

    @Test("latestExecutions picks the latest execution of each stage", arguments: StoreBackend.allCases)
    func latestExecutions(backend: StoreBackend) throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        let first = try store.beginInvocation(command: "lunette run", pid: 1, at: date(0))
        for stage in ["support/tox/load", "support/tox/train", "support/brand/load", "support_v2/tox/load", "other/tox/load"] {
            let id = try store.beginStage(invocation: first, stageID: stage, task: "t", key: nil, reason: "never run", action: "run", at: date(1))
            try store.finishStage(id, outcome: "succeeded", duration: 1, error: nil, summary: nil, outputs: [:], logTail: [])
        }
        let second = try store.beginInvocation(command: "lunette run", pid: 2, at: date(10))
        let rerun = try store.beginStage(invocation: second, stageID: "support/tox/train", task: "t", key: "sha256:2", reason: "input changed", action: "run", at: date(11))
        try store.finishStage(rerun, outcome: "failed", duration: 2, error: "boom", summary: nil, outputs: [:], logTail: [])

        let project = try store.latestExecutions(project: "support", run: nil)
        #expect(project.map(\.stageID) == ["support/brand/load", "support/tox/load", "support/tox/train"])
        #expect(project.last?.id == rerun)
        #expect(project.last?.outcome == "failed")
        let run = try store.latestExecutions(project: "support", run: "tox")
        #expect(run.map(\.stageID) == ["support/tox/load", "support/tox/train"])
        #expect(try store.latestExecutions(project: "support_v2", run: nil).map(\.stageID) == ["support_v2/tox/load"])
        #expect(try store.latestExecutions(project: "supp", run: nil).isEmpty)
    }

    @Test("actionKeysUsed returns the keys of invocations started since a date", arguments: StoreBackend.allCases)
    func actionKeysUsed(backend: StoreBackend) throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        let old = try store.beginInvocation(command: "lunette run", pid: 1, at: date(0))
        _ = try store.beginStage(invocation: old, stageID: "p/r/a", task: "t", key: "sha256:old", reason: "", action: "run", at: date(0))
        let recent = try store.beginInvocation(command: "lunette run", pid: 2, at: date(1000))
        for key in ["sha256:new", "sha256:new", nil] {
            _ = try store.beginStage(invocation: recent, stageID: "p/r/b", task: "t", key: key, reason: "", action: "skip", at: date(1000))
        }
        #expect(try store.actionKeysUsed(since: date(500)) == ["sha256:new"])
        #expect(try store.actionKeysUsed(since: date(0)) == ["sha256:new", "sha256:old"])
    }

    @Test("stat entries round-trip, update in place and can be removed", arguments: StoreBackend.allCases)
    func statEntriesRoundTrip(backend: StoreBackend) throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        let a = StatEntry(
            path: "data/test.csv", size: 812, mtimeNs: 1_700_000_000_123_456_789, ctimeNs: 1_700_000_000_123_456_790,
            inode: UInt64.max - 3, digest: .of("a"), recordedAtNs: 1_700_000_100_000_000_000)
        var b = StatEntry(path: "data/ü b.jsonl", size: 0, mtimeNs: 5, ctimeNs: 6, inode: 7, digest: .of("b"), recordedAtNs: 8)
        try store.saveStatEntries([a, b])
        #expect(try store.statEntries() == ["data/test.csv": a, "data/ü b.jsonl": b])
        b.size = 99
        b.digest = .of("b2")
        try store.saveStatEntries([b])
        #expect(try store.statEntries()["data/ü b.jsonl"] == b)
        try store.removeStatEntries(paths: ["data/test.csv", "missing"])
        #expect(try store.statEntries().keys.sorted() == ["data/ü b.jsonl"])
    }
}
