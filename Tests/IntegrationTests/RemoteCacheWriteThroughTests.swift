import Basics
import Foundation
import Testing
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `lunette run --push` uploads each stage as soon as it finishes (write-through), and `lunette run`
/// looks a stage up in the remote by its action key before running it (read-through): a run killed
/// half-way leaves its finished stages on the remote, and another clone with an empty cache and no
/// lock entry for them reuses them instead of running them again.
@Suite("Remote cache: write-through survives SIGKILL", .serialized)
struct RemoteCacheWriteThroughTests {
    /// `load`, then `slow`, which sleeps a minute when the workspace has a file `slow` (the marker
    /// is no input, so both clones key the stage the same).
    static func slowProject(remote: String, marker: Bool) throws -> CaseWorkspace {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        var manifest = try workspace.read("workflows/shop.yaml")
        manifest += "    stages:\n      slow:\n        after: load\n"
            + "        command: if [ -f ../slow ]; then sleep 60; fi; echo done > ../out/slow.txt\n"
            + "        outputs: [../out/slow.txt]\n"
        try workspace.write(manifest, to: "workflows/shop.yaml")
        try workspace.write(remote, to: "lunette.yaml")
        if marker { try workspace.write("", to: "slow") }
        return workspace
    }

    @Test("run --push killed during its second stage: the first is on the remote, and a fresh clone reuses it")
    func survivesSIGKILL() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-remote-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let settings = "remote: \(folder.path)\n"
        let first = try Self.slowProject(remote: settings, marker: true)
        let run = try SpawnedLunette(
            ["run", "--push", "shop/tone-b/slow"], in: first.root,
            environment: first.environment.merging(RemoteCacheEndToEndTests.credentials) { _, new in new },
            logs: first.root.appendingPathComponent("test-logs"), label: "run")
        let records = folder.appendingPathComponent("actions")
        func recordCount() -> Int {
            (FileManager.default.subpaths(atPath: records.path) ?? []).filter { $0.hasSuffix(".json") }.count
        }
        let pushed = await RemoteCacheFaultTests.waitUntil(seconds: 60) { recordCount() >= 1 }
        #expect(pushed, "no record reached the remote while the run went on: \(run.output)\(run.error)")
        #expect(!run.hasExited, "the run ended before the kill: \(run.output)\(run.error)")
        run.kill(group: true)
        ProcessGroups.killStageGroups(under: first.root)
        await run.wait(timeout: 10)
        #expect(recordCount() == 1)
        #expect(!FileManager.default.fileExists(atPath: first.root.appendingPathComponent("workflows/shop.lock").path))

        // A clone with no cache, no lock and no marker: load comes from the remote, slow runs.
        let third = try Self.slowProject(remote: settings, marker: false)
        let again = try await SpawnedLunette.run(["run", "shop/tone-b/slow"], in: third, extra: RemoteCacheEndToEndTests.credentials)
        #expect(again.status == 0, "\(again.output)\(again.error)")
        #expect(again.output.contains("reuse shop/tone-b/load  up to date (read from the remote cache \(folder.path))"), "\(again.output)")
        #expect(!again.output.contains("ok    shop/tone-b/load"), "\(again.output)")
        #expect(again.output.contains("ok    shop/tone-b/slow"), "\(again.output)")
        #expect(again.output.contains("1 ran, 1 reused"), "\(again.output)")
    }

    @Test("a stage whose object is corrupt on the remote is not reused: a warning, and it runs")
    func corruptStageRuns() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-remote-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let settings = "remote: \(folder.path)\n"
        let first = try Self.slowProject(remote: settings, marker: false)
        let run = try await SpawnedLunette.run(["run", "--push", "shop/tone-b/slow"], in: first, extra: RemoteCacheEndToEndTests.credentials)
        #expect(run.status == 0, "\(run.output)\(run.error)")
        // load's output, replaced by other bytes on the remote.
        let records = try #require(FileManager.default.subpaths(atPath: folder.appendingPathComponent("actions").path)).filter { $0.hasSuffix(".json") }
        var loadObject: String?
        for path in records {
            let record = try JSONValue.parse(String(decoding: try Data(contentsOf: folder.appendingPathComponent("actions/\(path)")), as: UTF8.self))
            guard record["stage"]?.stringValue == "shop/tone-b/load" else { continue }
            loadObject = record["outputs"]?.objectValue?.values.first?["digest"]?.stringValue.map { String($0.dropFirst("sha256:".count)) }
        }
        let digest = try #require(loadObject)
        let object = folder.appendingPathComponent("objects/\(digest.prefix(2))/\(digest)")
        try FileManager.default.removeItem(at: object)
        try Data("not the rows\n".utf8).write(to: object)

        let third = try Self.slowProject(remote: settings, marker: false)
        let again = try await SpawnedLunette.run(["run", "shop/tone-b/slow"], in: third, extra: RemoteCacheEndToEndTests.credentials)
        #expect(again.status == 0, "\(again.output)\(again.error)")
        #expect(again.output.contains("ok    shop/tone-b/load"), "\(again.output)")
        #expect((again.output + again.error).contains("corrupt on the remote, left out (its stage runs again): objects/\(digest.prefix(2))/\(digest)"), "\(again.output)\(again.error)")
        #expect(try third.read("workflows/shop.lock") == first.read("workflows/shop.lock"))
        let cached = third.root.appendingPathComponent("cache/objects/\(digest.prefix(2))/\(digest)")
        #expect(ContentHash.of(try Data(contentsOf: cached)).hex == digest)
    }
}
