import Basics
import Foundation
import RunStore
import TaskTypes
import Testing
import Workspace
import _TestSupport

/// Results that travel with the repository: the scores file and the registry file a run writes,
/// the store rebuilt from the registry file, `check` on both, and `lunette metrics diff` across git
/// revisions, with the real task types on the tiny encoder and the built binary.
@Suite("Scores and registry in git", .serialized)
struct ResultsInGitTests {
    static func workspace() throws -> CaseWorkspace {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try TinyModel.write(to: workspace.models.appendingPathComponent("minilm-l6"))
        var manifest = try workspace.read("workflows/shop.yaml")
        manifest = manifest.replacingOccurrences(of: "train: { epochs: 3 }", with: "train: { mode: head }\n    gate: { min_f1: 0.1 }")
        try workspace.write(manifest, to: "workflows/shop.yaml")
        return workspace
    }

    static func git(_ arguments: [String], in root: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments
        process.currentDirectoryURL = root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "git \(arguments.joined(separator: " "))")
    }

    @Test("a run writes the scores file and the registry file; a fresh store is rebuilt from the registry file")
    func filesAndRebuild() async throws {
        let workspace = try Self.workspace()
        let engine = workspace.workspace([])
        let summary = try await engine.run(RunRequest(targets: ["shop/tone-b"]))
        #expect(summary.report?.failed.isEmpty == true)
        #expect(summary.updatedLocks.sorted() == ["workflows/registry.jsonl", "workflows/shop.lock", "workflows/shop.scores.json"])

        let scores = try #require(try engine.scoresFiles()["shop"]?.runs["tone-b"])
        let report = try JSONValue.parse(
            Data(contentsOf: try engine.reportFolder(run: "shop/tone-b").appendingPathComponent("report.json")))
        let macroF1 = try #require(report["scores"]?["macroF1"]?.doubleValue)
        #expect(scores.values["macro_f1"]?.doubleValue == (macroF1 * 10_000).rounded() / 10_000)
        #expect(scores.values["gate_passed"] == .bool(macroF1 >= 0.1))
        #expect(scores.values["gate"] == .object(["min_f1": .double(0.1)]))
        #expect(scores.values["eval_rows"]?.intValue == report["scores"]?["rows"]?.intValue)
        let fresh = try engine.check(targets: ["shop/tone-b"])
        #expect(fresh.isUpToDate, "\(fresh.stale.map(\.id)) \(fresh.staleFiles)")

        let registry = try workspace.read("workflows/registry.jsonl")
        #expect(registry.hasPrefix(#"{"name":"polite","version":1,"base_model":"minilm-l6","#))
        #expect(!registry.contains(workspace.root.path))

        // A fresh clone: no store. The registry comes from the file; a run reuses everything and
        // rewrites nothing; aliasing writes the file.
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(at: workspace.root.appendingPathComponent("cache/lunette.sqlite\(suffix)"))
        }
        #expect(try engine.registeredMetric("polite").reference == "polite@1")
        let again = try await engine.run(RunRequest(targets: ["shop/tone-b"]))
        #expect(again.report?.ran == 0)
        #expect(again.updatedLocks.isEmpty)
        #expect(try workspace.read("workflows/registry.jsonl") == registry)
        let store = try RunStore(path: workspace.root.appendingPathComponent("cache/lunette.sqlite"))
        #expect(try store.registeredMetrics().map { $0.reference } == ["polite@1"])
        try store.close()
        _ = try engine.setAlias("champion", for: "polite@1")
        #expect(try workspace.read("workflows/registry.jsonl").hasSuffix(#"{"name":"polite","alias":"champion","version":1}"# + "\n"))
        #expect(try engine.registeredMetric("polite@champion").version == 1)

        // A scores file that is not the lock's is stale for `check`.
        let path = "workflows/shop.scores.json"
        let text = try workspace.read(path)
        try workspace.write(text.replacingOccurrences(of: "\"report\": \"sha256:", with: "\"report\": \"sha256:0"), to: path)
        let check = try engine.check(targets: ["shop/tone-b"])
        #expect(check.staleFiles.map(\.path) == [path])
        #expect(check.staleFiles.first?.reason.contains("tone-b's scores are not from the locked report") == true)
        try workspace.write(text, to: path)

        // Two branches' tox@1 kept side by side after a merge: `check` refuses it, and so does scoring.
        let line = try #require(registry.split(separator: "\n").first)
        let other = line.replacingOccurrences(of: #""model":"sha256:"#, with: #""model":"sha256:f"#)
            .replacingOccurrences(of: #""model":"sha256:f([0-9a-f]{63})[0-9a-f]""#, with: #""model":"sha256:f$1""#, options: .regularExpression)
        try workspace.write(registry + other + "\n", to: "workflows/registry.jsonl")
        #expect(throws: WorkspaceError.self) { try engine.check() }
        do {
            _ = try engine.check()
        } catch let error as WorkspaceError {
            #expect(error.code == .invalidManifests)
            #expect(error.diagnostics.contains { $0.message == "polite@1 is named twice (lines 1 and 2)" })
        }
        #expect(throws: WorkspaceError.self) { try engine.registeredMetric("polite") }
    }

    @Test("`lunette metrics diff` compares the working tree with HEAD, and two revisions, in text, JSON and Markdown")
    func metricsDiff() async throws {
        let workspace = try Self.workspace()
        let first = try await SpawnedLunette.run(["run", "shop/tone-b"], in: workspace)
        #expect(first.status == 0, "\(first.error)")
        try Self.git(["init", "-q"], in: workspace.root)
        try Self.git(["add", "workflows"], in: workspace.root)
        try Self.git(["commit", "-qm", "first"], in: workspace.root)

        let none = try await SpawnedLunette.run(["metrics", "diff"], in: workspace)
        #expect(none.status == 0)
        #expect(none.output.contains("no score changed between HEAD and working tree"))

        var manifest = try workspace.read("workflows/shop.yaml")
        manifest = manifest.replacingOccurrences(of: "gate: { min_f1: 0.1 }", with: "gate: { min_f1: 0.1 }\n    seed: 11")
        try workspace.write(manifest, to: "workflows/shop.yaml")
        let second = try await SpawnedLunette.run(["run", "shop/tone-b"], in: workspace)
        #expect(second.status == 0, "\(second.error)")
        #expect(second.output.contains("updated workflows/shop.scores.json"))

        let json = try await SpawnedLunette.run(["metrics", "diff", "--json", "--all"], in: workspace)
        #expect(json.status == 0, "\(json.error)")
        let value = try JSONValue.parse(json.output)
        #expect(value["old"] == .string("HEAD"))
        #expect(value["new"] == .null)
        let changes = try #require(value["changes"]?.arrayValue)
        let macro = try #require(changes.first { $0["figure"] == .string("macro_f1") })
        #expect(macro["run"] == .string("shop/tone-b"))
        let old = try #require(macro["old"]?.doubleValue)
        let new = try #require(macro["new"]?.doubleValue)
        #expect(macro["delta"]?.doubleValue.map { abs($0 - (new - old)) < 1e-9 } == true)
        let scores = try JSONValue.parse(try workspace.read("workflows/shop.scores.json"))
        #expect(scores["runs"]?["tone-b"]?["macro_f1"]?.doubleValue == new)

        try Self.git(["commit", "-qam", "second"], in: workspace.root)
        let markdown = try await SpawnedLunette.run(["metrics", "diff", "HEAD~1", "HEAD", "--md", "--all"], in: workspace)
        #expect(markdown.status == 0, "\(markdown.error)")
        #expect(markdown.output.contains("| RUN | FIGURE | HEAD~1 | HEAD | CHANGE |"))
        #expect(markdown.output.contains("| shop/tone-b | macro_f1 | \(String(format: "%.4f", old)) | \(String(format: "%.4f", new)) |"))

        let show = try await SpawnedLunette.run(["metrics", "show", "--json"], in: workspace)
        #expect(try JSONValue.parse(show.output)["runs"]?["shop/tone-b"]?["macro_f1"]?.doubleValue == new)
        let unknown = try await SpawnedLunette.run(["metrics", "diff", "no-such-branch"], in: workspace)
        #expect(unknown.status == 1)
        #expect(unknown.error.contains("no-such-branch"))
    }

    @Test("in a fresh clone, `registry list` shows the committed versions and `score` names the missing model and how to get it")
    func freshClone() async throws {
        let workspace = try Self.workspace()
        let first = try await SpawnedLunette.run(["run", "shop/tone-b"], in: workspace)
        #expect(first.status == 0, "\(first.error)")
        let model = try workspace.workspace([]).registeredMetric("polite@1").modelDigest
        try FileManager.default.removeItem(at: workspace.root.appendingPathComponent("cache"))

        let list = try await SpawnedLunette.run(["registry", "list", "--json"], in: workspace)
        #expect(list.status == 0, "\(list.error)")
        let metrics = try #require(try JSONValue.parse(list.output)["metrics"]?.arrayValue)
        #expect(metrics.map { $0["name"] } == [.string("polite")])
        #expect(metrics.first?["model"] == .string(model))

        let score = try await SpawnedLunette.run(["score", "polite@1", "--input", "/dev/null"], in: workspace)
        #expect(score.status == 1)
        #expect(score.error.contains("the model of polite@1 (\(model)) is not in this workspace's cache"))
        #expect(score.error.contains("lunette run shop/tone-b"))
    }

    @Test("two branches that each registered tox@2 conflict on that line under git merge, and check locates the markers")
    func mergeConflict() throws {
        let temp = try TemporaryDirectory(prefix: "registry-merge")
        defer { temp.remove() }
        func version(_ model: Character) -> String {
            RegistryFile(metrics: [RegistryFileTests.metric("tox", 2, model: "sha256:" + String(repeating: model, count: 64))]).rendered
        }
        let base = RegistryFile(metrics: [RegistryFileTests.metric("tox", 1, model: RegistryFileTests.modelA)]).rendered
        try temp.write(base, to: "workflows/registry.jsonl")
        try Self.git(["init", "-q", "-b", "main"], in: temp.url)
        try Self.git(["add", "."], in: temp.url)
        try Self.git(["commit", "-qm", "base"], in: temp.url)
        try Self.git(["checkout", "-qb", "other"], in: temp.url)
        try temp.write(base + version("c"), to: "workflows/registry.jsonl")
        try Self.git(["commit", "-qam", "other registers tox@2"], in: temp.url)
        try Self.git(["checkout", "-q", "main"], in: temp.url)
        try temp.write(base + version("b"), to: "workflows/registry.jsonl")
        try Self.git(["commit", "-qam", "main registers tox@2"], in: temp.url)

        let merge = Process()
        merge.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        merge.arguments = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "merge", "-q", "other"]
        merge.currentDirectoryURL = temp.url
        merge.standardOutput = FileHandle.nullDevice
        merge.standardError = FileHandle.nullDevice
        try merge.run()
        merge.waitUntilExit()
        #expect(merge.terminationStatus != 0)  // a conflict, shown plainly: both tox@2 lines between markers
        let merged = try String(contentsOf: temp("workflows/registry.jsonl"), encoding: .utf8)
        let lines = merged.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        #expect(lines[1].hasPrefix("<<<<<<<") && lines[3] == "=======" && lines[5].hasPrefix(">>>>>>>"))
        #expect(lines[2].hasPrefix(#"{"name":"tox","version":2,"#) && lines[4].hasPrefix(#"{"name":"tox","version":2,"#))

        let workspace = Workspace(root: temp.url, registry: .builtin, environment: [:])
        do {
            _ = try workspace.registeredMetrics()
            Issue.record("a registry file with conflict markers must be refused")
        } catch let error as WorkspaceError {
            #expect(error.code == .invalidManifests)
            #expect(error.diagnostics.compactMap { $0.location?.line } == [2, 4, 5, 6])
            #expect(error.diagnostics.contains { $0.message == "tox@2 is named twice (lines 3 and 5)" })
        }
    }
}
