import Basics
import Foundation
import Planning
import Testing
import WorkflowModel
import Workspace
import _TestSupport

/// `lunette check` on a CI runner that has the repository and the binary but not the base model: it
/// trusts the digest the lock records for the model, while `run`, `plan` and `verify` still need it.
@Suite("check without the base model installed", .serialized)
struct CheckWithoutModelTests {
    static let install =
        "install it with `scripts/install-model minilm-l6`, or set LUNETTE_MODELS to the folder that holds it"

    /// The `incremental` case in head mode, with `shop/tone-b` run on the tiny encoder by the built-in task types.
    static func ranWorkspace() async throws -> CaseWorkspace {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try TinyModel.write(to: workspace.models.appendingPathComponent("minilm-l6"))
        let manifest = try workspace.read("workflows/shop.yaml")
            .replacingOccurrences(of: "train: { epochs: 3 }", with: "train: { mode: head }")
        try workspace.write(manifest, to: "workflows/shop.yaml")
        let report = try #require(try await workspace.workspace([]).run(RunRequest(targets: ["shop/tone-b"])).report)
        #expect(report.failed.isEmpty, "\(report.failed.map(\.status))")
        #expect(report.ran == 6)
        return workspace
    }

    @Test("a clean clone without the model checks against the lock, names an edited stage, and run/plan/verify say the model is missing")
    func cleanCloneWithoutModel() async throws {
        let workspace = try await Self.ranWorkspace()
        let lock = try workspace.read("workflows/shop.lock")
        #expect(lock.contains(#""base_model":"sha256:"#))
        // The CI runner: the repository (no cache) and an empty models folder.
        try FileManager.default.removeItem(at: workspace.root.appendingPathComponent("cache"))
        let empty = workspace.root.appendingPathComponent("no-models")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let ci = ["LUNETTE_MODELS": empty.path]

        let ok = try ProcessTests.run(["check", "shop/tone-b"], in: workspace, extra: ci)
        #expect(ok.status == 0, "\(ok.output)\(ok.error)")
        #expect(ok.output == "ok: 6 stages match their locks\n")
        #expect(ok.error.contains("warning: base model 'minilm-l6' is not installed: its digest is taken from the lock"))
        #expect(ok.error.contains(
            "note: to run or verify stages, install it with: scripts/install-model minilm-l6 "
                + "(or set LUNETTE_MODELS to the folder that holds it)"))
        #expect(try workspace.read("workflows/shop.lock") == lock)

        for arguments in [["run", "shop/tone-b"], ["plan", "shop/tone-b"], ["verify", "shop/tone-b"]] {
            let refused = try ProcessTests.run(arguments, in: workspace, extra: ci)
            #expect(refused.status == 2, "\(arguments): \(refused.error)")
            #expect(refused.error.contains("error: base model 'minilm-l6' is not installed"), "\(arguments): \(refused.error)")
            #expect(refused.error.contains("note: install it with: scripts/install-model minilm-l6"), "\(arguments)")
        }
        #expect(try workspace.read("workflows/shop.lock") == lock)

        // An edited param is still named, model or not.
        let manifest = try workspace.read("workflows/shop.yaml")
        try workspace.write(manifest.replacingOccurrences(of: "  tone-b:\n", with: "  tone-b:\n    seed: 5\n"), to: "workflows/shop.yaml")
        let stale = try ProcessTests.run(["check", "shop/tone-b"], in: workspace, extra: ci)
        #expect(stale.status == 1, "\(stale.output)\(stale.error)")
        #expect(stale.output.contains("stale: shop/tone-b/split: params.seed changed 3 → 5\n"), "\(stale.output)")
        try workspace.write(manifest, to: "workflows/shop.yaml")

        // A lock that records no digest for the model (its model stages never ran): the key cannot be
        // computed, and the message says why and how to fix it.
        var parsed = try Lockfile.parse(lock, file: "workflows/shop.lock")
        for stage in ["train", "evaluate"] { parsed.stages[StageID(project: "shop", run: "tone-b", stage: stage)] = nil }
        try workspace.write(parsed.rendered(), to: "workflows/shop.lock")
        let unknown = try ProcessTests.run(["check", "shop/tone-b"], in: workspace, extra: ci)
        #expect(unknown.status == 1, "\(unknown.output)\(unknown.error)")
        #expect(unknown.output.contains(
            "stale: shop/tone-b/train: base model minilm-l6 is not installed and the lock records no digest for it, "
                + "so this stage's key cannot be computed: \(Self.install)\n"), "\(unknown.output)")
        #expect(unknown.output.contains("stale: shop/tone-b/evaluate: upstream stage train will re-run\n"))
    }

    @Test("with the model installed, a lock recording other weights is stale: the installed model wins")
    func installedModelWinsOverTheLock() async throws {
        let workspace = try await Self.ranWorkspace()
        try TinyModel.write(to: workspace.models.appendingPathComponent("minilm-l6"), seed: 43)
        let result = try workspace.workspace([]).check(targets: ["shop/tone-b"])
        #expect(result.stale.map(\.id.stage) == ["train", "evaluate", "register"])
        #expect(result.stale.first?.reason == .changed(["input base_model changed (content)"]))
        #expect(!result.warnings.contains { $0.message.contains("not installed") })
    }

    @Test("a new project on a runner without the model is stale (never ran), with the not-installed warning")
    func newProjectWithoutModel() async throws {
        let workspace = try await Self.ranWorkspace()
        try workspace.write(
            """
            project: fresh
            runs:
              tone:
                metric: { name: polite, output: boolean, input: message }
                test_set: { path: ../data/test.csv, columns: { input: text } }
                training_set: { upload: { path: ../data/train.csv, columns: { input: text } } }

            """, to: "workflows/fresh.yaml")
        let empty = workspace.root.appendingPathComponent("no-models")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let result = try ProcessTests.run(["check", "fresh"], in: workspace, extra: ["LUNETTE_MODELS": empty.path])
        #expect(result.status == 1, "\(result.output)\(result.error)")
        #expect(result.output.contains("stale: fresh/tone/load: never ran\n"))
        #expect(result.error.contains("warning: base model 'minilm-l6' is not installed: its digest is taken from the lock"))
    }
}
