import Basics
import ContentCache
import Commands
import Foundation
import Planning
import RunStore
import Testing
import Workspace

#if canImport(Glibc)
import Glibc
#endif

/// The `lunette` executable as a user runs it: exit codes, kills, concurrent invocations.
@Suite("lunette as a process", .serialized)
struct ProcessTests {
    /// The stages these tests run: the slow exec stage and what it needs (not the model stages, whose
    /// base model is only a stand-in here).
    static let target = "slow/first/after-slow"

    /// The `lunette` binary built beside this test bundle.
    static var binary: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("lunette")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/lunette")
    }

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    static func start(_ arguments: [String], in workspace: CaseWorkspace, extra: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = workspace.root
        process.environment = workspace.environment.merging(extra) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    static func run(_ arguments: [String], in workspace: CaseWorkspace, extra: [String: String] = [:]) throws -> Result {
        let (process, out, err) = try start(arguments, in: workspace, extra: extra)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
            error: String(decoding: error, as: UTF8.self))
    }

    /// The process group the running stage recorded in its scratch folder (waiting up to 60 s: the
    /// command may start before Lunette has written the file); failing that, the group of a live
    /// process carrying the stage's marker, or of a child of `parent` in a group of its own.
    static func runningProcessGroup(in work: URL, parent: Int32? = nil) -> Int32? {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            for folder in (try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? [] {
                if let text = try? String(contentsOf: work.appendingPathComponent("\(folder)/process-group"), encoding: .utf8),
                    let group = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
                {
                    return group
                }
            }
            // The stage's processes carry its scratch folder in their environment, file or not.
            let root = work.deletingLastPathComponent().deletingLastPathComponent()
            if let group = ProcessGroups.liveStageProcesses(under: root).first?.group { return group }
            if let parent, let group = childGroup(of: parent) { return group }
            usleep(20_000)
        }
        // Say what was there, so that a failure can be understood.
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []
        let listing = folders.map { folder in
            "\(folder): \((try? FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent(folder).path)) ?? [])"
        }
        print("runningProcessGroup: nothing found in \(work.path) within 60 s; folders: \(listing); children of \(parent.map(String.init) ?? "-"): \(parent.map(children(of:)) ?? [])")
        return nil
    }

    /// `(pid, pgid)` of the live processes whose parent is `parent`.
    static func children(of parent: Int32) -> [(Int32, Int32)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 3, fields[0] != "Z", Int32(fields[1]) == parent, let group = Int32(fields[2]) else { return nil }
            return (pid, group)
        }
    }

    /// The process group of a child of `parent` that leads a group other than `parent`'s own.
    static func childGroup(of parent: Int32) -> Int32? {
        let parentGroup = getpgid(parent)
        return children(of: parent).first { $0.1 != parentGroup && $0.1 == $0.0 }?.1
    }

    /// Processes of a group that are alive (zombies waiting to be reaped do not count).
    static func liveProcesses(inGroup group: Int32) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { entry in
            guard Int32(entry) != nil, let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 3 && fields[0] != "Z" && Int32(fields[2]) == group
        }.count
    }

    /// The process group of the slow stage's shell, which writes its pid to `out/started` (atomically)
    /// as its first act: the test waits on that event, not on a time limit for finding the group.
    static func stageGroup(_ workspace: CaseWorkspace) async throws -> Int32? {
        let started = workspace.root.appendingPathComponent("out/started")
        try await waitFor(started, timeout: 120)
        let text = try String(contentsOf: started, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = Int32(text) else { return nil }
        let group = getpgid(pid)
        return group > 0 ? group : nil
    }

    static func waitFor(_ path: URL, timeout: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !FileManager.default.fileExists(atPath: path.path) {
            guard Date() < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("a run killed with SIGKILL during a slow stage leaves everything consistent, and the next run finishes")
    func sigkill() async throws {
        let reference = try CaseWorkspace("slow", project: "slow")
        #expect(try Self.run(["run", Self.target], in: reference, extra: ["SLOW_SECONDS": "0"]).status == 0)

        let workspace = try CaseWorkspace("slow", project: "slow")
        // Long enough that a test process starved by its neighbours still finds the stage alive (the
        // rerun below ends it, so the test never waits for it).
        let (process, _, _) = try Self.start(["run", Self.target], in: workspace, extra: ["SLOW_SECONDS": "300"])
        let group = try #require(try await Self.stageGroup(workspace))
        let work = workspace.root.appendingPathComponent("cache/work")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(Self.liveProcesses(inGroup: group) > 0)  // the stage's `sleep 30` outlived the kill…

        // Nothing is corrupt or half-written.
        let cache = try ContentCache(root: workspace.root.appendingPathComponent("cache"))
        #expect(try cache.verifyAll().isClean)
        let store = try RunStore(path: workspace.root.appendingPathComponent("cache/lunette.sqlite"))
        #expect(try store.integrityCheck() == ["ok"])
        #expect(!FileManager.default.fileExists(atPath: workspace.root.appendingPathComponent("workflows/slow.lock").path))

        let rerun = try Self.run(["run", Self.target], in: workspace, extra: ["SLOW_SECONDS": "0"])
        #expect(rerun.status == 0, "\(rerun.output)\(rerun.error)")
        #expect(rerun.output.contains("ok    slow/first/slow"))
        #expect(Self.liveProcesses(inGroup: group) == 0)  // …until the next run ended it
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty)
        #expect(!rerun.output.contains("ok    slow/first/load "))  // finished before the kill: reused
        let interrupted = try store.recentInvocations(limit: 5).map(\.outcome)
        #expect(interrupted.contains("interrupted"))
        #expect(try workspace.read("workflows/slow.lock") == reference.read("workflows/slow.lock"))
        #expect(try workspace.read("out/after.txt") == reference.read("out/after.txt"))
    }

    @Test("Ctrl-C cancels the running stage, ends its processes, marks the run cancelled and exits 130")
    func interrupt() async throws {
        let workspace = try CaseWorkspace("slow", project: "slow")
        let (process, out, _) = try Self.start(["run", Self.target], in: workspace, extra: ["SLOW_SECONDS": "30"])
        let group = try #require(try await Self.stageGroup(workspace))
        let start = Date()
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(process.terminationStatus == 130)
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(output.contains("stop  slow/first/slow  cancelled"), "\(output)")
        #expect(Self.liveProcesses(inGroup: group) == 0)
        let status = try workspace.workspace().statuses().first
        #expect(status?.status == .cancelled)
        #expect(!FileManager.default.fileExists(atPath: workspace.root.appendingPathComponent("out/slow.txt").path))
    }

    @Test("a second invocation waits for the first; with --no-wait it exits 3 naming the holder")
    func concurrentInvocations() async throws {
        let workspace = try CaseWorkspace("slow", project: "slow")
        let (first, firstOut, _) = try Self.start(["run", Self.target], in: workspace, extra: ["SLOW_SECONDS": "2"])
        try await Self.waitFor(workspace.root.appendingPathComponent("out/started"))
        let busy = try Self.run(["run", "--no-wait", Self.target], in: workspace)
        #expect(busy.status == 3)
        #expect(busy.error.contains("the workspace is busy: pid \(first.processIdentifier): lunette run \(Self.target)"))
        let second = try Self.run(["run", Self.target], in: workspace, extra: ["SLOW_SECONDS": "2"])
        first.waitUntilExit()
        let firstText = String(decoding: firstOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(first.terminationStatus == 0, "\(firstText)")
        #expect(second.status == 0)
        #expect(second.error.contains("waiting for another invocation to finish"))
        #expect(second.output.contains("nothing to do") || second.output.contains("0 ran"), "\(second.output)")
    }

    @Test("-C DIR works before the subcommand too, as with git and make")
    func directoryBeforeSubcommand() throws {
        let here = try CaseWorkspace("incremental", project: "shop")
        let there = try CaseWorkspace("slow", project: "slow")
        for arguments in [["-C", there.root.path, "plan"], ["--directory=\(there.root.path)", "plan"], ["plan", "-C", there.root.path]] {
            let result = try Self.run(arguments, in: here)
            #expect(result.status == 0, "\(arguments): \(result.error)")
            #expect(result.output.contains("slow/first/slow"), "\(arguments): \(result.output)")
            #expect(!result.output.contains("shop/"), "\(arguments): \(result.output)")
        }
        #expect(RootCommand.arguments(["-C", "x", "run", "a", "--", "b"]) == ["run", "a", "-C", "x", "--", "b"])
        #expect(RootCommand.arguments(["run", "-C", "x"]) == ["run", "-C", "x"])
        #expect(RootCommand.arguments(["-C"]) == ["-C"])
    }

    @Test("invalid manifests exit 2 with every diagnostic, and nothing runs")
    func invalidManifest() throws {
        let workspace = try CaseWorkspace("slow", project: "slow")
        var text = try workspace.read("workflows/slow.yaml")
        text = text.replacingOccurrences(of: "register: false", with: "register: false\n    trian: { epochs: 2 }")
        text = text.replacingOccurrences(of: "after: split", with: "after: splt")
        try workspace.write(text, to: "workflows/slow.yaml")
        let result = try Self.run(["run", Self.target], in: workspace)
        #expect(result.status == 2)
        #expect(result.error.contains("workflows/slow.yaml:8:5: error: unknown key 'trian' in 'first' (runs.first.trian)"))
        #expect(result.error.contains("did you mean 'train'?"))
        #expect(result.error.contains("did you mean 'split'?"))
        #expect(result.error.contains("2 errors in manifests; nothing ran."))
        #expect(!FileManager.default.fileExists(atPath: workspace.root.appendingPathComponent("cache/objects").path))
        #expect(try Self.run(["check", Self.target], in: workspace).status == 2)
    }

    @Test("check exits 0 on a matching lock and 1 naming a stale stage; plan --json keeps its shape")
    func checkAndPlanJSON() throws {
        let workspace = try CaseWorkspace("slow", project: "slow")
        #expect(try Self.run(["run", Self.target], in: workspace, extra: ["SLOW_SECONDS": "0"]).status == 0)
        let ok = try Self.run(["check", Self.target], in: workspace)
        #expect(ok.status == 0, "\(ok.output)")
        let text = try workspace.read("workflows/slow.yaml").replacingOccurrences(of: "cat ../out/slow.txt ../out/slow.txt", with: "cat ../out/slow.txt")
        try workspace.write(text, to: "workflows/slow.yaml")
        let stale = try Self.run(["check", Self.target], in: workspace)
        #expect(stale.status == 1)
        #expect(stale.output.contains("stale: slow/first/after-slow: params.command changed"))

        let plan = try Self.run(["plan", "--json"], in: workspace)
        let json = try JSONValue.parse(Data(plan.output.utf8))
        let stages = try #require(json["stages"]?.arrayValue)
        let after = try #require(stages.first { $0["id"]?.stringValue == "slow/first/after-slow" })
        #expect(after["action"] == "run")
        #expect(after["task"] == "exec")
        #expect(after["key"]?.stringValue?.hasPrefix("sha256:") == true)
        #expect(after["inputs"]?.objectValue?.count == 1)
        #expect(Set(after.objectValue?.keys.map { $0 } ?? []) == ["id", "task", "action", "reason", "key", "inputs", "outputs"])
    }
}
