import Basics
import ContentCache
import Foundation
import RunStore
import Testing
import Workspace
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `cache/registry/<name>@<version>/` serves only the model the registry names, with the bytes it
/// was registered with: not a folder left from before a store reset, not one edited by hand; and
/// `cache verify` re-hashes each one.
@Suite("Registered model folders", .serialized)
struct RegisteredModelFolderTests {
    /// A workspace whose store registers `polite@1` for a published model folder.
    final class Fixture: @unchecked Sendable {
        let temp: TemporaryDirectory
        let workspace: Workspace
        let cache: ContentCache

        init() throws {
            temp = try TemporaryDirectory(prefix: "model-folder")
            try FileManager.default.createDirectory(at: temp("workflows"), withIntermediateDirectories: true)
            workspace = Workspace(root: temp.url, registry: .builtin, environment: [:])
            cache = try ContentCache(root: temp("cache"))
        }

        deinit { temp.remove() }

        /// Publishes a model folder whose head says `verdict`, and registers it (a new version, or
        /// the same one when the store was reset).
        func register(verdict: String) throws -> RegisteredMetric {
            let source = "source-\(verdict)"
            try temp.write(#"{"labels":["false","true"]}"#, to: "\(source)/metric.json")
            try temp.write(String(repeating: "weights-\(verdict);", count: 64), to: "\(source)/head.safetensors")
            let ref = try cache.publish(directoryAt: temp(source))
            let store = try RunStore(path: temp("cache/lunette.sqlite"))
            defer { try? store.close() }
            return try store.register(
                name: "polite", modelDigest: ref.digest.description, reportDigest: nil, project: "p", run: "r",
                manifestDigest: nil, summary: "{}", at: Date()
            ).metric
        }

        func head(_ folder: URL) throws -> String {
            try String(contentsOf: folder.appendingPathComponent("head.safetensors"), encoding: .utf8)
        }
    }

    @Test("after the store is reset and polite@1 registered again for another model, polite@1 serves the new model")
    func storeReset() throws {
        let fixture = try Fixture()
        let first = try fixture.register(verdict: "old")
        let folder = try fixture.workspace.modelFolder(for: first)
        #expect(try fixture.head(folder).hasPrefix("weights-old;"))

        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(at: fixture.temp("cache/lunette.sqlite\(suffix)")) }
        let second = try fixture.register(verdict: "new")
        #expect(second.reference == "polite@1")
        #expect(second.modelDigest != first.modelDigest)
        let again = try fixture.workspace.modelFolder(for: try fixture.workspace.registeredMetric("polite@1"))
        #expect(again.path == folder.path)
        #expect(try fixture.head(again).hasPrefix("weights-new;"))
    }

    @Test("8 bytes edited in head.safetensors are put back before the model is served again")
    func editedWeights() throws {
        let fixture = try Fixture()
        let metric = try fixture.register(verdict: "old")
        let folder = try fixture.workspace.modelFolder(for: metric)
        let head = folder.appendingPathComponent("head.safetensors")
        let original = try Data(contentsOf: head)
        let fd = open(head.path, O_WRONLY)
        #expect(pwrite(fd, "FLIPPED!", 8, 40) == 8)
        close(fd)
        #expect(try Data(contentsOf: head) != original)
        #expect(try fixture.workspace.modelFolder(for: metric).path == folder.path)
        #expect(try Data(contentsOf: head) == original)
    }

    @Test("cache verify re-hashes every registered model folder: damage the cheap check can't see is repaired and reported, a folder of nothing registered is removed")
    func cacheVerifyCoversFolders() throws {
        let fixture = try Fixture()
        let metric = try fixture.register(verdict: "old")
        let folder = try fixture.workspace.modelFolder(for: metric)
        #expect(try fixture.workspace.verifyCache().isClean)
        #expect(try fixture.workspace.verifyCache().foldersChecked == 1)

        // Bytes changed with the stat fields the stamp records still matching (bit rot): forge the stamp.
        let head = folder.appendingPathComponent("head.safetensors")
        let original = try Data(contentsOf: head)
        let fd = open(head.path, O_WRONLY)
        #expect(pwrite(fd, "FLIPPED!", 8, 40) == 8)
        close(fd)
        let stampURL = folder.appendingPathComponent(ContentCache.stampFileName)
        var stamp = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: stampURL)) as? [String: Any])
        var files = try #require(stamp["files"] as? [[String: Any]])
        var status = stat()
        #expect(lstat(head.path, &status) == 0)
        for index in files.indices where files[index]["path"] as? String == "head.safetensors" {
            files[index]["ctime_ns"] = Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec)
            files[index]["mtime_ns"] = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        }
        stamp["files"] = files
        try JSONSerialization.data(withJSONObject: stamp).write(to: stampURL)
        #expect(try fixture.workspace.modelFolder(for: metric).path == folder.path)
        #expect(try Data(contentsOf: head) != original)  // the cheap check trusts the stat fields

        try FileManager.default.createDirectory(at: fixture.temp("cache/registry/ghost@3"), withIntermediateDirectories: true)
        let report = try fixture.workspace.verifyCache()
        #expect(!report.isClean)
        #expect(report.damagedFolders == [.init(path: folder.path, problem: "head.safetensors was changed")])
        #expect(report.removedFolders == [fixture.temp("cache/registry/ghost@3").path])
        #expect(try Data(contentsOf: head) == original)
        #expect(!FileManager.default.fileExists(atPath: fixture.temp("cache/registry/ghost@3").path))
        #expect(try fixture.workspace.verifyCache().isClean)

        // A folder from a Lunette before stamps: stamped by the first verify, not reported as damage.
        try FileManager.default.removeItem(at: stampURL)
        let upgraded = try fixture.workspace.verifyCache()
        #expect(upgraded.isClean)
        #expect(upgraded.damagedFolders.isEmpty)
        #expect(FileManager.default.fileExists(atPath: stampURL.path))
    }
}
