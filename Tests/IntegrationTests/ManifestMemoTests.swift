import Basics
import Foundation
import ManifestLoading
import TaskInterface
import TaskTypes
import Testing
import WorkflowModel
@testable import Workspace

/// The kept manifest load (`cache/manifests.json`): reused only while everything the load read still
/// holds, never kept with an error, and giving exactly what a fresh load gives.
@Suite("Manifest memo")
struct ManifestMemoTests {
    static func workspace() throws -> (CaseWorkspace, Workspace) {
        let scratch = try CaseWorkspace("incremental", project: "shop")
        try FileManager.default.createDirectory(at: scratch.root.appendingPathComponent("cache"), withIntermediateDirectories: true)
        return (scratch, scratch.workspace([]))
    }

    static func memoFile(_ scratch: CaseWorkspace) -> URL { scratch.root.appendingPathComponent("cache/manifests.json") }

    /// A fresh load, bypassing the memo, for comparison.
    static func freshLoad(_ workspace: Workspace) -> WorkspaceLoadResult {
        ManifestLoader(
            workspaceRoot: workspace.root, modelsDirectory: workspace.modelsDirectory, cacheDirectory: workspace.cacheDirectory,
            settings: workspace.registry.settingsBySection, tasks: workspace.registry.declarations
        ).loadAll()
    }

    @Test("the second load comes from the memo and equals a fresh load")
    func reused() throws {
        let (scratch, workspace) = try Self.workspace()
        let first = try workspace.loadProjects()
        let file = Self.memoFile(scratch)
        let written = try #require(FileManager.default.contents(atPath: file.path))
        // Mark the kept load: a reused load returns the marked description, a fresh one would not.
        var memo = try #require(ManifestMemo.reusable(from: written, key: workspace.manifestMemoKey(.error)))
        memo.result.projects[0].description = "from the memo"
        try memo.encoded().write(to: file)
        let second = try workspace.loadProjects()
        #expect(second.projects[0].description == "from the memo")
        var unmarked = second.projects
        unmarked[0].description = first.projects[0].description
        #expect(unmarked == first.projects)
        #expect(first.projects == Self.freshLoad(workspace).projects)
    }

    @Test("an edited manifest, a deleted data file, a new symlink out of the workspace: each is seen at once")
    func invalidated() throws {
        let (scratch, workspace) = try Self.workspace()
        _ = try workspace.loadProjects()
        // Edited manifest.
        try scratch.write(try scratch.read("workflows/shop.yaml").replacingOccurrences(of: "seed: 3", with: "seed: 4"), to: "workflows/shop.yaml")
        #expect(try workspace.loadProjects().projects[0].runs[0].seed == 4)
        // A data file the manifest reads, gone: the error comes back although a load was kept.
        let test = scratch.root.appendingPathComponent("data/test.csv")
        let saved = try Data(contentsOf: test)
        try FileManager.default.removeItem(at: test)
        #expect(throws: WorkspaceError.self) { try workspace.loadProjects() }
        try saved.write(to: test)
        _ = try workspace.loadProjects()
        // The output folder made a symlink leading out of the workspace.
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-outside-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        try FileManager.default.createSymbolicLink(at: scratch.root.appendingPathComponent("out"), withDestinationURL: outside)
        do {
            _ = try workspace.loadProjects()
            Issue.record("a symlink out of the workspace went unnoticed")
        } catch let error as WorkspaceError {
            #expect(error.diagnostics.contains { $0.message.contains("symlink") }, "\(error.diagnostics)")
        }
        try FileManager.default.removeItem(at: scratch.root.appendingPathComponent("out"))
        // A second manifest added to workflows/.
        try scratch.write(try scratch.read("workflows/shop.yaml").replacingOccurrences(of: "project: shop", with: "project: other")
            .replacingOccurrences(of: "../out/", with: "../out2/"), to: "workflows/other.yaml")
        #expect(try workspace.loadProjects().projects.map(\.name) == ["other", "shop"])
    }

    @Test("a load with an error is never kept; a corrupt memo is ignored; other task types miss")
    func neverWrong() throws {
        let (scratch, workspace) = try Self.workspace()
        let file = Self.memoFile(scratch)
        try scratch.write("project: shop\nruns: {x: 1}\n", to: "workflows/shop.yaml")
        #expect(throws: WorkspaceError.self) { try workspace.loadProjects() }
        #expect(!FileManager.default.fileExists(atPath: file.path))

        try scratch.switchTo("v1")
        _ = try workspace.loadProjects()
        try Data("{not json".utf8).write(to: file)
        #expect(try workspace.loadProjects().projects.map(\.name) == ["shop"])
        // A memo cut short (a line of runs half written, or missing) is ignored, never half used.
        let whole = try #require(FileManager.default.contents(atPath: file.path))
        let lines = whole.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        #expect(lines.count == 2, "a header and one line of runs")
        let fresh = Self.freshLoad(workspace).projects
        for damaged in [whole.prefix(whole.count - 20), Data(lines[0])] {
            #expect(ManifestMemo.reusable(from: damaged, key: workspace.manifestMemoKey(.error)) == nil)
            try damaged.write(to: file)
            #expect(try workspace.loadProjects().projects == fresh)
        }

        // The same workspace with another registry (a renamed train setting) has another key.
        let other = scratch.workspace([])
        #expect(other.manifestMemoKey(.error) == workspace.manifestMemoKey(.error))
        var registry = TaskTypeRegistry.builtin
        registry.register(RenamedSettings())
        let renamed = Workspace(root: scratch.root, registry: registry, environment: scratch.environment)
        #expect(renamed.manifestMemoKey(.error) != workspace.manifestMemoKey(.error))
        #expect(workspace.manifestMemoKey(.warning) != workspace.manifestMemoKey(.error))
    }
}

/// A task type under a new id with a settings schema of its own.
private struct RenamedSettings: TaskType {
    static let id = "renamed-settings"
    static let version = 1
    static var settings: SettingsSchema? {
        SettingsSchema(section: "renamed", parameters: [.init("level", .integer(1...3), doc: "a level")])
    }
    func run(_ context: StageContext) async throws -> StageResult { StageResult() }
}
