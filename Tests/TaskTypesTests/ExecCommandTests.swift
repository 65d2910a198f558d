import Basics
import Foundation
import TaskInterface
import Testing

@testable import Scoring
@testable import TaskTypes

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ExecCommandTests {
    func run(
        _ fixture: StageFixture, _ command: String, params: [String: JSONValue] = [:], inputs: [String: URL] = [:],
        outputs: [String: String] = [:]
    ) async throws -> StageResult {
        var allParams: [String: JSONValue] = ["command": .string(command)]
        allParams["outputs"] = .object(outputs.mapValues(JSONValue.string))
        allParams.merge(params) { _, new in new }
        let context = try fixture.context(
            stage: "proj/run/custom", params: allParams, inputs: inputs, outputs: outputs)
        return try await ExecCommand().run(context)
    }

    func error(_ body: () async throws -> StageResult) async -> TaskError? {
        do {
            _ = try await body()
            Issue.record("the command succeeded")
        } catch let error as TaskError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    @Test func writesOutputsWithTheVariablesItIsGiven() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        let input = try fixture.write("hello\n", to: "data/in.txt")
        try FileManager.default.createDirectory(at: fixture.url("sub"), withIntermediateDirectories: true)
        let command = """
            tr a-z A-Z < "$LUNETTE_INPUT_TEST_SET" > "$LUNETTE_OUTPUT_OUT_FILE"
            echo "$LUNETTE_STAGE $(pwd)" > "$LUNETTE_OUTPUT_OUT_FILE.info"; cp "$LUNETTE_OUTPUT_OUT_FILE.info" ../out/info
            echo progress line
            """
        let result = try await run(
            fixture, command, params: ["directory": "sub"], inputs: ["test-set": input],
            outputs: ["out.file": "out/upper.txt", "info": "out/info"])
        #expect(try fixture.read("out/upper.txt") == "HELLO\n")
        let info = try fixture.read("out/info")
        #expect(info.hasPrefix("proj/run/custom /"))
        #expect(info.hasSuffix("/sub\n"))
        #expect(fixture.reporter.logs == ["progress line"])
        #expect(result.summary?.hasPrefix("ran tr a-z A-Z < \"$LUNETTE_INPUT_TEST_SET\"") == true)
        #expect(result.summary?.hasSuffix("...; wrote info, out.file") == true)
    }

    @Test func variableNames() {
        #expect(ExecCommand.variableName("test-set") == "TEST_SET")
        #expect(ExecCommand.variableName("model.v2") == "MODEL_V2")
        #expect(ExecCommand.variableName("é") == "_")
    }

    @Test func nonZeroExitCarriesTheLastTwentyLines() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        let failure = await error {
            try await run(fixture, "for i in $(seq 1 25); do echo line $i; done; echo oops >&2; exit 3")
        }
        let expectedTail = (7...25).map { "    line \($0)" } + ["    oops"]
        #expect(
            failure?.message == "command exited with status 3\n  last output:\n" + expectedTail.joined(separator: "\n"))
        #expect(fixture.reporter.logs.count == 26)
    }

    @Test func killedBySignalSaysWhichSignal() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        let failure = await error { try await run(fixture, "kill -KILL $$") }
        #expect(failure?.message == "command was killed by signal 9 (SIGKILL)")
    }

    @Test func missingDeclaredOutputIsAnError() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        let failure = await error { try await run(fixture, "true", outputs: ["report": "out/report.html"]) }
        #expect(failure?.message == "command exited 0 but did not write declared output 'report' (out/report.html)")
    }

    @Test func staleOutputsAreRemovedBeforeTheCommandRuns() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        try fixture.write("old", to: "out/stale.txt")
        try fixture.write("old", to: "out/model/weights.bin")
        let failure = await error {
            try await run(
                fixture, "test ! -e out/stale.txt && test ! -e out/model && mkdir out/model",
                outputs: ["stale": "out/stale.txt", "model": "out/model"])
        }
        #expect(failure?.message == "command exited 0 but did not write declared output 'stale' (out/stale.txt)")
        #expect(FileManager.default.fileExists(atPath: fixture.url("out/model").path))
    }

    @Test func missingDirectoryIsAnError() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        let failure = await error { try await run(fixture, "true", params: ["directory": "nope"]) }
        #expect(
            failure?.message.hasPrefix("stage proj/run/custom: the folder to run in, 'nope', does not exist") == true)
    }

    @Test func cancellationKillsTheWholeProcessGroup() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        let pidFile = fixture.url("sleeper.pid")
        let command = "sleep 30 & echo $! > \(pidFile.path); wait"
        let task = Task { try await run(fixture, command) }
        var sleeper: pid_t?
        for _ in 0..<200 {
            if let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingWhitespace) {
                sleeper = pid
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let pid = try #require(sleeper)
        #expect(isAlive(pid))
        let start = ContinuousClock.now
        task.cancel()
        let outcome = await task.result
        // Well under the 30 s the sleep would take (generous: CPU-heavy suites run beside this one).
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(throws: CancellationError.self) { try outcome.get() }
        var gone = false
        for _ in 0..<100 where !gone {
            gone = !isAlive(pid)
            if !gone { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(gone, "sleep \(pid) survived cancellation")
    }

    /// Whether a process exists and is not a zombie waiting for its (new) parent to reap it.
    func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }
}
