import Basics
import ContentCache
import Foundation
import Testing
import _TestSupport

@testable import Commands

/// The remote cache's memo entries, `plan`'s "in remote", read-through for `verify` and `serve`,
/// `cache gc --remote`, and push/pull progress, on the built binary against a shared folder (and
/// moto_server where it says so).
@Suite("Remote cache: memo, plan, verify/serve read-through, gc --remote, progress", .serialized)
struct RemoteCacheFeatureTests {
    static var credentials: [String: String] { RemoteCacheEndToEndTests.credentials }

    static func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lunette-remote-\(UUID().uuidString)")
    }

    /// The memo manifest the train stage's action record names in `workspace`'s cache.
    static func trainMemo(_ workspace: CaseWorkspace) throws -> (digest: ContentHash, manifest: MemoManifest) {
        let lock = try workspace.read("workflows/shop.lock")
        let block = try #require(lock.components(separatedBy: "\"shop/tone-b/train\":").last)
        let hex = String(try #require(block.components(separatedBy: "key: \"sha256:").dropFirst().first?.prefix(64)))
        let index = workspace.root.appendingPathComponent("cache/index/\(hex.prefix(2))/\(hex).json")
        let record = try JSONDecoder().decode(ActionRecord.self, from: try Data(contentsOf: index))
        let digest = try #require(record.memo, "the train record names no memo")
        let memo = workspace.root.appendingPathComponent("cache/memo/\(digest.hex.prefix(2))/\(digest.hex)")
        let manifest = try #require(MemoManifest.parse(try Data(contentsOf: memo), expected: digest))
        return (digest, manifest)
    }

    @Test("push carries the memo entries a stage used; a clone that pulls has them, and a forced train encodes nothing")
    func memoEntries() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let workspace = try await RemoteCacheEndToEndTests.trained(remote: "remote: \(folder.path)\n")
        let (digest, manifest) = try Self.trainMemo(workspace)
        #expect(manifest.entries.count > 10, "\(manifest.entries.count)")
        let push = try await SpawnedLunette.run(["push", "--json"], in: workspace, extra: Self.credentials)
        #expect(push.status == 0, "\(push.error)")
        let uploaded = try #require(try JSONValue.parse(push.output)["uploaded"]?.arrayValue).compactMap(\.stringValue)
        #expect(uploaded.contains("memo/\(digest.hex.prefix(2))/\(digest.hex)"))
        for entry in manifest.entries {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("memo/\(entry.key.hex.prefix(2))/\(entry.key.hex)").path))
        }

        let clone = try RemoteCacheEndToEndTests.clone(workspace)
        let pull = try await SpawnedLunette.run(["pull"], in: clone, extra: Self.credentials)
        #expect(pull.status == 0, "\(pull.output)\(pull.error)")
        for entry in manifest.entries {
            let path = "cache/memo/\(entry.key.hex.prefix(2))/\(entry.key.hex)"
            let pulled = try Data(contentsOf: clone.root.appendingPathComponent(path))
            #expect(pulled == (try Data(contentsOf: workspace.root.appendingPathComponent(path))))
        }
        // Training again (forced) finds every embedding in the pulled memo.
        let train = try await SpawnedLunette.run(["run", "--force", "--verbose", "shop/tone-b/train"], in: clone, extra: Self.credentials)
        #expect(train.status == 0, "\(train.error)")
        let line = try #require(train.output.split(separator: "\n").first { $0.contains("embeddings:") }, "\(train.output)")
        #expect(line.contains("0 encoded") && !line.contains(" 0 from the cache"), "\(line)")
    }

    @Test("a memo entry substituted on the remote is reported as corrupt and never reaches the clone's memo")
    func corruptMemoEntry() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let workspace = try await RemoteCacheEndToEndTests.trained(remote: "remote: \(folder.path)\n")
        let (_, manifest) = try Self.trainMemo(workspace)
        #expect(try await SpawnedLunette.run(["push"], in: workspace, extra: Self.credentials).status == 0)
        let victim = try #require(manifest.entries.first).key
        let key = "memo/\(victim.hex.prefix(2))/\(victim.hex)"
        try Data("not the vector".utf8).write(to: folder.appendingPathComponent(key))
        let clone = try RemoteCacheEndToEndTests.clone(workspace)
        let pull = try await SpawnedLunette.run(["pull"], in: clone, extra: Self.credentials)
        #expect(pull.status == 1)
        #expect(pull.error.contains("corrupt on the remote") && pull.error.contains(key), "\(pull.error)")
        #expect(!FileManager.default.fileExists(atPath: clone.root.appendingPathComponent("cache/\(key)").path))
    }
}
