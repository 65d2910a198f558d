import ArgumentParser
import Basics
import Foundation
import Testing

@testable import Commands

/// Defects a hostile user found in the shipped `lunette` (issue 14), each checked on the built binary:
/// exit codes, messages, and how `score` reads its input.
@Suite("lunette's commands under a hostile user (issue 14)", .serialized)
struct CommandDefectTests {
    /// A workspace whose `polite@1` (input format `message`) was trained on the tiny encoder and
    /// registered by the binary; made once for the suite.
    static let registered = Task { try ServeAbuseProcessTests.registeredWorkspace() }

    /// Runs `lunette ARGUMENTS` in `workspace`, after the shell commands `prefix` (a FIFO to read).
    static func lunette(_ arguments: [String], in workspace: CaseWorkspace, after prefix: String? = nil) async throws
        -> ProcessTests.Result
    {
        let process = try SpawnedLunette(
            arguments, in: workspace.root, environment: workspace.environment.merging(["LUNETTE_THREADS": "1"]) { $1 },
            logs: workspace.root.appendingPathComponent("test-logs"), label: "defect-\(UUID().uuidString)",
            shellPrefix: prefix)
        if await !process.wait(timeout: 300) {
            await process.killAndReap()
            Issue.record("`lunette \(arguments.joined(separator: " "))` still running after 5 minutes")
        }
        return ProcessTests.Result(status: process.exitCode ?? -1, output: process.output, error: process.error)
    }

    @Test(
        "every usage error exits 2, as --help and the README say, not argument-parser's 64",
        arguments: [
            ["frobnicate"],  // unknown subcommand
            ["plan", "--no-such-option"],  // unknown option
            ["score"],  // missing argument
            ["serve", "--port", "eighty"],  // a value of the wrong type
            ["serve", "--port", "0", "--batch-window=-5"],  // a value refused once the command runs
            ["serve", "--port", "0", "--token-env", "LUNETTE_TEST_UNSET_VARIABLE"],
            ["cache", "frobnicate"],  // unknown nested subcommand
            ["embed", "--batch-size", "0"],  // a value refused by the command's own check
            ["score", "polite", "--column", "input"],  // a malformed FIELD=COLUMN
        ])
    func usageErrorsExit2(arguments: [String]) async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        let result = try await Self.lunette(arguments, in: workspace)
        #expect(result.status == 2, "\(arguments): \(result.error)")
        #expect(result.error.contains("Error: ") || result.error.contains("error: "), "\(result.error)")
        #expect(result.error.contains("Usage: "), "a usage error shows the usage: \(result.error)")
    }

    @Test("--help names the exit codes the commands use, and asking for help exits 0")
    func helpNamesExitCodes() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        let help = try await Self.lunette(["--help"], in: workspace)
        #expect(help.status == 0)
        // --help wraps its text at 80 columns: compare with the line breaks as spaces.
        let helpText = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(helpText.contains("2 invalid manifests or arguments"), "\(help.output)")
        #expect(helpText.contains("4 `check` could not be made"), "\(help.output)")
        let readme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).appendingPathComponent("../../../README.md").standardized, encoding: .utf8)
        for code in ["0 success", "1 a stage or the command failed", "2 invalid manifests or arguments", "3 busy workspace", "4 `check` could not be made", "130 interrupted"] {
            #expect(readme.contains(code), "README's exit codes should say '\(code)'")
        }
    }

    @Test("score reads /dev/null and a FIFO (a shell's <(…)) with read(2), not 'permission denied'")
    func scoreReadsDevicesAndPipes() async throws {
        let workspace = try await Self.registered.value
        let empty = try await Self.lunette(["score", "polite", "--input", "/dev/null"], in: workspace)
        #expect(empty.status == 0, "\(empty.error)")
        #expect(empty.output.isEmpty)
        #expect(!empty.error.lowercased().contains("permission"), "\(empty.error)")

        try workspace.write(#"{"input":"Thank you so much"}"# + "\n" + #"{"input":"Fix it now"}"# + "\n", to: "rows.jsonl")
        let fifo = "rows-\(UUID().uuidString).fifo"
        let piped = try await Self.lunette(
            ["score", "polite", "--input", fifo], in: workspace, after: "mkfifo \(fifo) && (cat rows.jsonl > \(fifo) &)")
        #expect(piped.status == 0, "\(piped.error)")
        let lines = piped.output.split(separator: "\n").map { try? JSONValue.parse(String($0)) }
        #expect(lines.count == 2, "\(piped.output)")
        #expect(lines.first??["input"]?.stringValue == "Thank you so much")
        #expect(lines.allSatisfy { $0?["score"]?.boolValue != nil }, "\(piped.output)")
    }

    @Test("with -C DIR, score's --input and --output are relative to DIR, as the README's `git -C` promises")
    func scorePathsFollowDirectory() async throws {
        let workspace = try await Self.registered.value
        try workspace.write(#"{"input":"Thank you so much"}"# + "\n", to: "in-c.jsonl")
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-c-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        let process = try SpawnedLunette(
            ["-C", workspace.root.path, "score", "polite", "--input", "in-c.jsonl", "--output", "out-c.jsonl"], in: outside,
            environment: workspace.environment.merging(["LUNETTE_THREADS": "1"]) { $1 },
            logs: outside.appendingPathComponent("logs"), label: "score-c")
        #expect(await process.wait(timeout: 300))
        #expect(process.exitCode == 0, "\(process.error)")
        let written = try workspace.read("out-c.jsonl")
        #expect(written.contains("\"score\""), "\(written)")
        #expect(!FileManager.default.fileExists(atPath: outside.appendingPathComponent("out-c.jsonl").path))
    }

    @Test("check that cannot read a lock exits 4 with the file and a fix, never 1 (which means stale)")
    func checkThatCannotCheckIsNotStale() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try workspace.write("{not a lock\n", to: "workflows/shop.lock")
        let result = try await Self.lunette(["check"], in: workspace)
        #expect(result.status == 4, "\(result.output)\(result.error)")
        #expect(result.error.contains("workflows/shop.lock:1"), "\(result.error)")
        #expect(result.error.contains("fix: "), "\(result.error)")
        #expect(!result.output.contains("stale"), "\(result.output)")
    }

    @Test("score refuses null, object and array inputs by line and field, as the dataset loader does, and scores the rest")
    func scoreRefusesNonTextInput() async throws {
        let workspace = try await Self.registered.value
        try workspace.write(
            [#"{"input": null}"#, #"{"input": {"text": "hi"}}"#, #"{"input": ["hi"]}"#, #"{"input": "Thank you"}"#, #"{"input": 42}"#]
                .joined(separator: "\n") + "\n", to: "mixed.jsonl")
        let result = try await Self.lunette(["score", "polite", "--input", "mixed.jsonl"], in: workspace)
        #expect(result.status == 1, "\(result.error)")
        let scored = result.output.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        #expect(scored.map { $0["input"] } == [.string("Thank you"), .int(42)], "\(result.output)")
        #expect(result.error.contains("skipped line 1: missing 'input'"), "\(result.error)")
        #expect(result.error.contains("skipped line 2: 'input' must be text, not an object"), "\(result.error)")
        #expect(result.error.contains("skipped line 3: 'input' must be text, not an array"), "\(result.error)")
        #expect(result.error.contains("3 rows left out; 2 scored"), "\(result.error)")
    }

    @Test("score's file errors name the file and a fix: a missing file, a CSV with an unclosed quote, a bad --column")
    func scoreFileErrorsAreFormatted() async throws {
        let workspace = try await Self.registered.value
        let missing = try await Self.lunette(["score", "polite", "--input", "no-such-rows.jsonl"], in: workspace)
        #expect(missing.status == 1)
        #expect(missing.error.contains("/no-such-rows.jsonl: No such file or directory"), "\(missing.error)")
        #expect(missing.error.contains("fix: "), "\(missing.error)")
        #expect(!missing.error.contains("NSCocoaErrorDomain"), "\(missing.error)")

        try workspace.write("input\n\"Thank you\n", to: "broken.csv")
        let broken = try await Self.lunette(["score", "polite", "--input", "broken.csv"], in: workspace)
        #expect(broken.status == 1)
        #expect(broken.error.contains("broken.csv: row 2: a quoted field that starts on line 2 is never closed"), "\(broken.error)")
        #expect(broken.error.contains("fix: fix the file so it is valid CSV (RFC 4180)"), "\(broken.error)")
        #expect(!broken.error.contains("CSVError("), "\(broken.error)")

        let column = try await Self.lunette(["score", "polite", "--input", "/dev/null", "--column", "input"], in: workspace)
        #expect(column.status == 2, "a bad --column value is a usage error: \(column.error)")
        #expect(column.error.contains("--column takes FIELD=COLUMN, e.g. input=text"), "\(column.error)")
    }

    @Test("Foundation's file errors are printed as the path, the reason and a fix, not an NSCocoaErrorDomain dump")
    func foundationFileErrorsAreFormatted() throws {
        let error = CocoaError(
            .fileReadNoSuchFile,
            userInfo: [NSFilePathErrorKey: "/tmp/x.json", NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOENT))])
        #expect(
            CommandFailure.fileErrorText(error)
                == "cannot read '/tmp/x.json': No such file or directory\n  fix: check the spelling of the path, or create the file first")
        let full = CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: "/tmp/y"])
        #expect(CommandFailure.fileErrorText(full) == "cannot write '/tmp/y': No space left on device\n  fix: the disk is full: free space and re-run")
        #expect(CommandFailure.fileErrorText(CancellationError()) == nil)
    }

    @Test("serve on a port in use says so with a fix, not NIO's bind(descriptor:ptr:bytes:)")
    func servePortInUse() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        let first = try ServeProcess.start(["--port", "0"], in: workspace)
        defer { _ = first.stop() }
        let second = try await Self.lunette(["serve", "--port", "\(first.port)"], in: workspace)
        #expect(second.status == 1, "\(second.error)")
        #expect(
            second.error.contains(
                "error: cannot listen on 127.0.0.1:\(first.port): address already in use\n"
                    + "  fix: pick another --port (0 picks a free one), or stop the process that holds this one"),
            "\(second.error)")
        #expect(!second.error.contains("bind("), "\(second.error)")
    }

    @Test("every `lunette X` a message or doc in Sources suggests is a command that exists (no 'lunette doctor')")
    func suggestedCommandsExist() throws {
        let sources = URL(fileURLWithPath: #filePath).appendingPathComponent("../../../Sources").standardized
        var commands: [String: Set<String>] = [:]
        for command in RootCommand.configuration.subcommands {
            commands[command._commandName] = Set(command.configuration.subcommands.map { $0._commandName })
        }
        let pattern = try NSRegularExpression(pattern: #"['`]lunette ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?"#)
        var checked = 0
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            let whole = NSRange(text.startIndex..., in: text)
            for match in pattern.matches(in: text, range: whole) {
                let groups = (1...2).map { Range(match.range(at: $0), in: text).map { String(text[$0]) } }
                guard let name = groups[0] else { continue }
                checked += 1
                guard let nested = commands[name] else {
                    Issue.record("\(file.lastPathComponent) suggests `lunette \(name)`, which is not a command")
                    continue
                }
                if !nested.isEmpty, let sub = groups[1], !nested.contains(sub) {
                    Issue.record("\(file.lastPathComponent) suggests `lunette \(name) \(sub)`, which is not a command")
                }
            }
        }
        #expect(checked > 20, "the scan found the sources' suggestions")
    }
}
