import Basics
import ContentCache
import Foundation
import Testing
import WorkflowModel
import Workspace
import _TestSupport

/// `lunette init`, `cache gc` and `registry export` through the Workspace API.
@Suite("Workspace maintenance", .serialized)
struct WorkspaceMaintenanceTests {
    @Test("init scaffolds a loadable workspace, appends .gitignore lines once, and refuses to overwrite")
    func scaffold() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-init-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("build/\n".utf8).write(to: folder.appendingPathComponent(".gitignore"))
        let created = try WorkspaceScaffold.create(in: folder, project: "demo")
        #expect(created == ["workflows/demo.yaml", "data/demo-test.csv", "data/demo-train.csv", "data/README.md", ".gitignore"])
        let ignore = try String(contentsOf: folder.appendingPathComponent(".gitignore"), encoding: .utf8)
        #expect(ignore.hasPrefix("build/\n") && ignore.contains("/cache/*\n") && ignore.contains("!/cache/README.md\n"))

        // The scaffold is a valid project once a base model is there.
        let models = folder.appendingPathComponent("models")
        try TinyModel.write(to: models.appendingPathComponent("minilm-l6"))
        let workspace = Workspace(root: folder, registry: .builtin, environment: ["LUNETTE_MODELS": models.path])
        let projects = try workspace.loadProjects().projects
        #expect(projects.map(\.name) == ["demo"])
        #expect(projects[0].runs.map(\.name) == ["toxicity-v1"])

        let before = try Data(contentsOf: folder.appendingPathComponent("workflows/demo.yaml"))
        #expect(throws: WorkspaceError.self) { try WorkspaceScaffold.create(in: folder, project: "demo") }
        #expect(try Data(contentsOf: folder.appendingPathComponent("workflows/demo.yaml")) == before)
        #expect(try String(contentsOf: folder.appendingPathComponent(".gitignore"), encoding: .utf8) == ignore)
    }

    @Test("cache gc removes what nothing reaches and keeps registered models; export writes the model folder")
    func gcAndExport() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try TinyModel.write(to: workspace.models.appendingPathComponent("minilm-l6"))
        let manifest = try workspace.read("workflows/shop.yaml").replacingOccurrences(
            of: "train: { epochs: 3 }", with: "train: { mode: head }")
        try workspace.write(manifest, to: "workflows/shop.yaml")
        let engine = workspace.workspace([])
        #expect(try #require(try await engine.run(RunRequest(targets: ["shop/tone-b"])).report).failed.isEmpty)
        let metric = try engine.registeredMetric("polite@1")

        let cache = try ContentCache(root: workspace.root.appendingPathComponent("cache"))
        let stray = try cache.publish(data: Data("nothing points at me".utf8))
        let dryRun = try engine.collectGarbage(dryRun: true)
        #expect(dryRun.removed.contains { $0.path.hasSuffix(stray.digest.hex) })
        #expect(cache.hasObject(stray))
        let report = try engine.collectGarbage(dryRun: false)
        #expect(report.removed.contains { $0.path.hasSuffix(stray.digest.hex) })
        #expect(!cache.hasObject(stray))
        #expect(!report.removed.contains { $0.path.hasSuffix(String(metric.modelDigest.dropFirst(7))) })

        let export = workspace.root.appendingPathComponent("export")
        try engine.export(metric, to: export)
        let files = try FileManager.default.contentsOfDirectory(atPath: export.path).sorted()
        #expect(files.contains("metric.json") && files.contains("head.safetensors") && files.contains("model.safetensors"))
        #expect(throws: WorkspaceError.self) { try engine.export(metric, to: export) }  // not empty: refused
    }
}
