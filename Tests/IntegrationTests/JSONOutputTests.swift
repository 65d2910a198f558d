import Basics
import ContentCache
import Foundation
import Testing
import WorkflowModel
import Workspace
import _TestSupport

@testable import Commands

/// `--json` on the read commands and `check --format github` (issue 16, CI kit), run on the built
/// `lunette` binary: each output parsed and checked value by value against docs/json-output.md.
@Suite("--json outputs and GitHub annotations", .serialized)
struct JSONOutputTests {
    /// The `slow` case with its exec stages run (no model involved), so every lock entry exists.
    static func ranSlowCase() throws -> CaseWorkspace {
        let workspace = try CaseWorkspace("slow", project: "slow")
        let ran = try ProcessTests.run(["run", ProcessTests.target], in: workspace, extra: ["SLOW_SECONDS": "0"])
        #expect(ran.status == 0, "\(ran.error)")
        return workspace
    }

    static func json(_ result: ProcessTests.Result) throws -> JSONValue {
        try JSONValue.parse(Data(result.output.utf8))
    }

    /// The `slow` manifest with an unknown key at 8:5 (and a misspelt `after:`).
    static func breakManifest(_ workspace: CaseWorkspace) throws {
        var text = try workspace.read("workflows/slow.yaml")
        text = text.replacingOccurrences(of: "register: false", with: "register: false\n    trian: { epochs: 2 }")
        text = text.replacingOccurrences(of: "after: split", with: "after: splt")
        try workspace.write(text, to: "workflows/slow.yaml")
    }

    // MARK: - GitHub annotations

    @Test("annotations escape %, CR and LF in the message, and also : and , in properties")
    func annotationEscaping() {
        #expect(GitHubAnnotation.escapeData("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b")
        #expect(GitHubAnnotation.escapeProperty("C:\\dir,x%\n") == "C%3A\\dir%2Cx%25%0A")
        let annotation = GitHubAnnotation(
            level: .error, file: "work flows/a:b,c.yaml", line: 3, column: 9, title: "x: y, z", message: "50%\nfix: it")
        #expect(annotation.rendered == "::error file=work flows/a%3Ab%2Cc.yaml,line=3,col=9,title=x%3A y%2C z::50%25%0Afix: it")
        #expect(GitHubAnnotation(level: .notice, message: "plain").rendered == "::notice::plain")
        let diagnostic = Diagnostic.warning(
            "base model 'minilm-l6' is not installed", at: SourceLocation(file: "workflows/a.yaml", line: 4, column: 7),
            keyPath: "runs.r.base_model", hint: "install it: scripts/install-model minilm-l6")
        #expect(
            GitHubAnnotation(diagnostic).rendered
                == "::warning file=workflows/a.yaml,line=4,col=7,title=manifest-warning::base model 'minilm-l6' is not installed (runs.r.base_model)%0Afix: install it: scripts/install-model minilm-l6"
        )
    }

    @Test("check --format github annotates each manifest error on its line and column, and exits 2")
    func checkGitHubInvalid() throws {
        let workspace = try CaseWorkspace("slow", project: "slow")
        try Self.breakManifest(workspace)
        let result = try ProcessTests.run(["check", "--format", "github"], in: workspace)
        #expect(result.status == 2, "\(result.error)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(
            lines.contains(
                "::error file=workflows/slow.yaml,line=8,col=5,title=invalid-manifest::unknown key 'trian' in 'first' (runs.first.trian)%0Afix: did you mean 'train'?"
            ), "\(result.output)")
        #expect(lines.filter { $0.hasPrefix("::error file=workflows/slow.yaml,") }.count == 2, "\(result.output)")
        // The plain diagnostics stay on stderr for people reading the log.
        #expect(result.error.contains("workflows/slow.yaml:8:5: error: unknown key 'trian'"))
    }

    @Test("check --format github on a stale stage points at the manifest line that declares it and names the lock")
    func checkGitHubStale() throws {
        let workspace = try Self.ranSlowCase()
        let clean = try ProcessTests.run(["check", "--format", "github", ProcessTests.target], in: workspace)
        #expect(clean.status == 0)
        #expect(!clean.output.contains("::error"), "\(clean.output)")
        #expect(clean.output.hasPrefix("ok: "), "\(clean.output)")

        let text = try workspace.read("workflows/slow.yaml")
            .replacingOccurrences(of: "cat ../out/slow.txt ../out/slow.txt", with: "cat ../out/slow.txt")
        try workspace.write(text, to: "workflows/slow.yaml")
        let stale = try ProcessTests.run(["check", "--format", "github", ProcessTests.target], in: workspace)
        #expect(stale.status == 1)
        let line = try #require(stale.output.split(separator: "\n").first { $0.hasPrefix("::error") }.map(String.init))
        #expect(line.hasPrefix("::error file=workflows/slow.yaml,line=13,col=7,title=stale-stage::slow/first/after-slow: params.command changed"), "\(line)")
        #expect(line.hasSuffix("%0Afix: run `lunette run slow/first/after-slow` and commit workflows/slow.lock"), "\(line)")
        #expect(stale.output.contains("1 stale stage: run `lunette run` and commit the lock"))
    }

    // MARK: - check and verify

    @Test("check --json: ok, then stale with the lock file and the manifest location; the exit codes stay 0 and 1")
    func checkJSON() throws {
        let workspace = try Self.ranSlowCase()
        let ok = try ProcessTests.run(["check", "--json", ProcessTests.target], in: workspace)
        #expect(ok.status == 0, "\(ok.error)")
        let okValue = try Self.json(ok)
        #expect(okValue["result"] == "ok")
        #expect(okValue["exit_code"] == 0)
        #expect(okValue["checked"] == 4)  // load, split, slow, after-slow
        #expect(okValue["stale"] == [])
        #expect(okValue["stale_files"] == [])
        #expect(okValue["error"] == .null)
        #expect(Set(okValue.objectValue?.keys.map { $0 } ?? []) == ["result", "exit_code", "checked", "diagnostics", "stale", "stale_files", "not_checked", "error"])

        let text = try workspace.read("workflows/slow.yaml")
            .replacingOccurrences(of: "cat ../out/slow.txt ../out/slow.txt", with: "cat ../out/slow.txt")
        try workspace.write(text, to: "workflows/slow.yaml")
        let stale = try ProcessTests.run(["check", "--format", "json", ProcessTests.target], in: workspace)
        #expect(stale.status == 1)
        let value = try Self.json(stale)
        #expect(value["result"] == "stale")
        #expect(value["exit_code"] == 1)
        let stages = try #require(value["stale"]?.arrayValue)
        #expect(stages.count == 1)
        let entry = try #require(stages.first)
        #expect(entry["code"] == "stale-stage")
        #expect(entry["id"] == "slow/first/after-slow")
        #expect(entry["project"] == "slow")
        #expect(entry["run"] == "first")
        #expect(entry["stage"] == "after-slow")
        #expect(entry["task"] == "exec")
        #expect(entry["lock_file"] == "workflows/slow.lock")
        #expect(entry["file"] == "workflows/slow.yaml")
        #expect(entry["line"] == 13)
        #expect(entry["column"] == 7)
        #expect(entry["reason"]?.stringValue?.hasPrefix("params.command changed") == true)
        #expect(entry["changes"]?.arrayValue?.first?.stringValue?.hasPrefix("params.command changed") == true)
    }

    @Test("check --json on an invalid manifest exits 2 and prints each diagnostic with its location and remedy")
    func checkJSONInvalid() throws {
        let workspace = try CaseWorkspace("slow", project: "slow")
        try Self.breakManifest(workspace)
        let result = try ProcessTests.run(["check", "--json"], in: workspace)
        #expect(result.status == 2)
        let value = try Self.json(result)
        #expect(value["result"] == "invalid")
        #expect(value["exit_code"] == 2)
        #expect(value["error"]?["code"] == "invalid-manifests")
        let diagnostics = try #require(value["diagnostics"]?.arrayValue)
        #expect(diagnostics.count == 2)
        let trian = try #require(diagnostics.first { $0["key_path"] == "runs.first.trian" })
        #expect(trian["code"] == "invalid-manifest")
        #expect(trian["severity"] == "error")
        #expect(trian["file"] == "workflows/slow.yaml")
        #expect(trian["line"] == 8)
        #expect(trian["column"] == 5)
        #expect(trian["message"] == "unknown key 'trian' in 'first'")
        #expect(trian["remedy"] == "did you mean 'train'?")

        let unknown = try ProcessTests.run(["check", "--json", "slow/nope"], in: try CaseWorkspace("slow", project: "slow"))
        #expect(unknown.status == 2)
        let failure = try Self.json(unknown)
        #expect(failure["result"] == "error")
        #expect(failure["error"]?["code"] == "unknown-target")
        #expect(failure["diagnostics"] == [])
    }

    @Test("--json together with --format github is a usage error (exit 2)")
    func checkFormatConflict() throws {
        let result = try ProcessTests.run(["check", "--json", "--format", "github"], in: try CaseWorkspace("slow", project: "slow"))
        #expect(result.status == 2)
        #expect(result.error.contains("--json and --format github ask for two formats"), "\(result.error)")
    }

    @Test("verify --json reports each stage's verdict, and an invalid manifest as JSON with exit 2")
    func verifyJSON() throws {
        let workspace = try Self.ranSlowCase()
        let result = try ProcessTests.run(
            ["verify", "--json", ProcessTests.target], in: workspace, extra: ["SLOW_SECONDS": "0"])
        #expect(result.status == 0, "\(result.output)\(result.error)")
        let value = try Self.json(result)
        #expect(value["result"] == "ok")
        #expect(value["exit_code"] == 0)
        #expect(value["differ_or_failed"] == 0)
        let stages = try #require(value["stages"]?.arrayValue)
        #expect(stages.map { $0["id"]?.stringValue ?? "" } == ["slow/first/load", "slow/first/split", "slow/first/slow", "slow/first/after-slow"])
        let after = try #require(stages.last)
        #expect(after["verdict"] == "matched")
        #expect(after["output"] == .null)
        #expect(after["message"] == .null)
        #expect(value["reproduced"]?.intValue == stages.filter { $0["verdict"] == "matched" }.count)

        try Self.breakManifest(workspace)
        let invalid = try ProcessTests.run(["verify", "--json"], in: workspace)
        #expect(invalid.status == 2)
        let failure = try Self.json(invalid)
        #expect(failure["result"] == "invalid")
        #expect(failure["stages"] == [])
        #expect(failure["diagnostics"]?.arrayValue?.contains { $0["line"] == 8 && $0["column"] == 5 } == true)
    }

    // MARK: - Read commands

    @Test("show --json: the run's settings and each stage with its outputs and last execution")
    func showJSON() throws {
        let workspace = try Self.ranSlowCase()
        let result = try ProcessTests.run(["show", "slow/first", "--json"], in: workspace)
        #expect(result.status == 0, "\(result.error)")
        let value = try Self.json(result)
        #expect(value["project"] == "slow")
        #expect(value["run"] == "first")
        #expect(value["metric"]?["name"] == "polite")
        #expect(value["metric"]?["output"] == "boolean")
        #expect(value["metric"]?["labels"] == ["false", "true"])
        #expect(value["test_set"]?["path"] == "data/test.csv")
        #expect(value["test_set"]?["group_by"] == .null)
        #expect(value["training_set"]?["kind"] == "upload")
        #expect(value["training_set"]?["path"] == "data/train.csv")
        #expect(value["base_model"] == "minilm-l6")
        let stages = try #require(value["stages"]?.arrayValue)
        let after = try #require(stages.first { $0["id"] == "slow/first/after-slow" })
        #expect(after["stage"] == "after-slow")
        #expect(after["task"] == "exec")
        #expect(after["action"] == "skip")
        #expect(after["reason"] == "up to date")
        let output = try #require(after["outputs"]?.objectValue?.values.first)
        #expect(output["digest"]?.stringValue?.hasPrefix("sha256:") == true)
        #expect(output["kind"] == "file")
        // `wc -l` of the 2-line seeds file, twice: "2\n2\n" (4 bytes).
        #expect(output["size"] == 4)
        #expect(after["last"]?["outcome"] == "succeeded")
        #expect(after["last"]?["duration_seconds"]?.doubleValue != nil)
    }

    @Test("show names the split's group column, in text and JSON")
    func showGroupBy() throws {
        let workspace = try CaseWorkspace("slow", project: "slow")
        let manifest = try workspace.read("workflows/slow.yaml")
        let grouped = manifest.replacingOccurrences(of: "runs:\n", with: "defaults:\n  split: { group_by: text }\nruns:\n")
        #expect(grouped != manifest)
        try workspace.write(grouped, to: "workflows/slow.yaml")
        let text = try ProcessTests.run(["show", "slow/first"], in: workspace)
        #expect(text.status == 0, "\(text.error)")
        #expect(text.output.contains("% seeds, seed ") && text.output.contains(", grouped by text)"), "\(text.output)")
        let value = try Self.json(try ProcessTests.run(["show", "slow/first", "--json"], in: workspace))
        #expect(value["test_set"]?["group_by"] == "text")
    }

    @Test("presets --json lists every preset; presets NAME --json prints that preset's object")
    func presetsJSON() throws {
        let workspace = try CaseWorkspace("slow", project: "slow")
        let list = try Self.json(try ProcessTests.run(["presets", "--json"], in: workspace))
        let presets = try #require(list["presets"]?.arrayValue)
        #expect(presets.map { $0["name"]?.stringValue ?? "" } == MetricPreset.names)
        let first = try #require(MetricPreset.catalog.first)
        let one = try ProcessTests.run(["presets", first.name, "--json"], in: workspace)
        #expect(one.status == 0)
        let value = try Self.json(one)
        #expect(value == presets[0])
        #expect(value["output"]?.stringValue == first.metric.output.rawValue)
        #expect(value["labels"] == .array(first.metric.labels.map(JSONValue.string)))
        #expect(value["input_fields"] == .array(first.metric.input.requiredFields.map(JSONValue.string)))
        #expect(value["prompt"] == (first.metric.prompt.map(JSONValue.string) ?? .null))
        #expect(try ProcessTests.run(["presets", "no-such-preset", "--json"], in: workspace).status == 2)
    }

    @Test("models --json: an installed model with its parameter count and digest; a missing one with its missing files")
    func modelsJSON() throws {
        let workspace = try CaseWorkspace("slow", project: "slow")
        let folder = workspace.models.appendingPathComponent("minilm-l6")
        try TinyModel.write(to: folder)
        let installed = try Self.json(try ProcessTests.run(["models", "--json"], in: workspace))
        let model = try #require(installed["models"]?.arrayValue?.first)
        #expect(model["name"] == "minilm-l6")
        #expect(model["installed"] == true)
        #expect(model["missing"] == [])
        #expect(model["path"]?.stringValue == folder.path)
        let digest = try ContentHash.ofFile(at: folder.appendingPathComponent("model.safetensors").path).hash.hex
        #expect(model["sha256"]?.stringValue == digest)
        #expect(model["verified"] == false)  // the tiny test model, not the published weights
        #expect((model["parameters"]?.intValue ?? 0) > 0)
        #expect((model["size_bytes"]?.intValue ?? 0) > 0)
        #expect(model["error"] == .null)

        let empty = workspace.root.appendingPathComponent("no-models")
        let missing = try Self.json(
            try ProcessTests.run(["models", "--json"], in: workspace, extra: ["LUNETTE_MODELS": empty.path]))
        let absent = try #require(missing["models"]?.arrayValue?.first)
        #expect(absent["installed"] == false)
        #expect(absent["missing"] == ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"])
        #expect(absent["sha256"] == .null)
        #expect(absent["install_command"] == "scripts/install-model minilm-l6")
    }

    @Test("review --json prints the sample rows and the feedback; with --reject it is a usage error")
    func reviewJSON() async throws {
        let workspace = try CaseWorkspace("generated", project: "gen")
        try TinyModel.write(to: workspace.models.appendingPathComponent("minilm-l6"))
        let engine = workspace.workspace([])
        #expect(try #require(try await engine.run(RunRequest(targets: ["gen/polite/generate"])).report).failed.isEmpty)
        try workspace.write(#"{"runs":{"polite":["off-topic"]}}"# + "\n", to: "workflows/gen.feedback.json")
        // The feedback changes the generate stage's key: regenerate, so the sample is up to date.
        #expect(try #require(try await engine.run(RunRequest(targets: ["gen/polite/generate"])).report).failed.isEmpty)
        let result = try ProcessTests.run(["review", "polite", "--json"], in: workspace)
        #expect(result.status == 0, "\(result.error)")
        let value = try Self.json(result)
        let rows = try #require(value["rows"]?.arrayValue)
        #expect(rows.count == 6)
        #expect(rows.allSatisfy { $0["label"] == "true" || $0["label"] == "false" })
        #expect(value["feedback"] == ["off-topic"])
        let both = try ProcessTests.run(["review", "polite", "--json", "--reject", "x"], in: workspace)
        #expect(both.status == 2)
    }

    @Test("cache gc --dry-run --json lists what would go; cache verify --json names a corrupt object and exits 1")
    func cacheJSON() throws {
        let workspace = try Self.ranSlowCase()
        let cache = try ContentCache(root: workspace.root.appendingPathComponent("cache"))
        let stray = try cache.publish(data: Data("nothing points at me".utf8))
        let gc = try ProcessTests.run(["cache", "gc", "--dry-run", "--json"], in: workspace)
        #expect(gc.status == 0, "\(gc.error)")
        let report = try Self.json(gc)
        #expect(report["dry_run"] == true)
        #expect((report["kept_count"]?.intValue ?? 0) > 0)
        let removed = try #require(report["removed"]?.arrayValue)
        let item = try #require(removed.first { $0["path"]?.stringValue?.hasSuffix(stray.digest.hex) == true })
        #expect(item["kind"] == "object")
        #expect(item["bytes"] == 20)
        #expect(report["removed_count"]?.intValue == removed.count)
        #expect(cache.hasObject(stray))

        let clean = try ProcessTests.run(["cache", "verify", "--json"], in: workspace)
        #expect(clean.status == 0)
        #expect(try Self.json(clean)["clean"] == true)
        let object = cache.objectURL(stray.digest)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: object.path)
        try Data("tampered".utf8).write(to: object)
        let corrupt = try ProcessTests.run(["cache", "verify", "--json"], in: workspace)
        #expect(corrupt.status == 1)
        let value = try Self.json(corrupt)
        #expect(value["clean"] == false)
        #expect(value["corrupt"] == [.string(stray.digest.description)])
        #expect((value["objects_checked"]?.intValue ?? 0) >= 1)
    }
}
