import Basics
import ContentCache
import Foundation
import RemoteCache
import Testing
import _TestSupport

@testable import Commands
@testable import Workspace

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

    @Test("plan says 'skip  in remote' for a stage only the remote has; an unreachable remote is a warning, not a failure")
    func planInRemote() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let workspace = try await RemoteCacheEndToEndTests.trained(remote: "remote: \(folder.path)\n")
        #expect(try await SpawnedLunette.run(["push"], in: workspace, extra: Self.credentials).status == 0)
        let local = try await SpawnedLunette.run(["plan", "shop/tone-b"], in: workspace, extra: Self.credentials)
        #expect(local.output.components(separatedBy: "skip  up to date").count == 7, "\(local.output)")
        #expect(!local.output.contains("in remote"))

        let clone = try RemoteCacheEndToEndTests.clone(workspace)
        let plan = try await SpawnedLunette.run(["plan", "shop/tone-b"], in: clone, extra: Self.credentials)
        #expect(plan.status == 0, "\(plan.error)")
        let lines = plan.output.split(separator: "\n").filter { $0.hasPrefix("shop/tone-b/") }
        #expect(lines.count == 6 && lines.allSatisfy { $0.hasSuffix("skip  in remote") }, "\(plan.output)")
        let json = try JSONValue.parse(try await SpawnedLunette.run(["plan", "--json", "shop/tone-b"], in: clone, extra: Self.credentials).output)
        let reasons = try #require(json["stages"]?.arrayValue).compactMap { $0["reason"]?.stringValue }
        #expect(reasons == Array(repeating: "in remote", count: 6), "\(reasons)")
        // Remove one record from the remote: that stage (and what follows it) runs.
        let lock = try clone.read("workflows/shop.lock")
        let block = try #require(lock.components(separatedBy: "\"shop/tone-b/register\":").last)
        let hex = try #require(block.components(separatedBy: "key: \"sha256:").dropFirst().first?.prefix(64))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("actions/\(hex.prefix(2))/\(hex).json"))
        let partial = try await SpawnedLunette.run(["plan", "shop/tone-b"], in: clone, extra: Self.credentials)
        let register = try #require(partial.output.split(separator: "\n").first { $0.hasPrefix("shop/tone-b/register") })
        #expect(register.contains("run ") && !register.contains("in remote"), "\(partial.output)")

        // Nothing listens on port 1: the plan still comes, with a warning naming the remote.
        try clone.write("remote:\n  url: s3://nowhere/x\n  endpoint: http://127.0.0.1:1\n", to: "lunette.yaml")
        let fast = Self.credentials.merging(["LUNETTE_REMOTE_TIMEOUT": "1", "LUNETTE_REMOTE_RETRIES": "0"]) { _, new in new }
        let offline = try await SpawnedLunette.run(["plan", "shop/tone-b"], in: clone, extra: fast)
        #expect(offline.status == 0, "\(offline.error)")
        #expect(offline.error.contains("warning: the remote cache s3://nowhere/x could not be read"), "\(offline.error)")
        #expect(offline.output.contains("6 to run, 0 up to date"), "\(offline.output)")
    }

    /// Makes `workspace` a git repository with everything committed on `main`, and a branch `bare`
    /// whose commit has no lock.
    static func commit(_ workspace: CaseWorkspace) throws {
        try workspace.write("cache/\nmodels/\ntest-logs/\n", to: ".gitignore")
        func git(_ arguments: String...) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments
            process.currentDirectoryURL = workspace.root
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "git \(arguments.joined(separator: " "))")
        }
        try git("init", "-q", "-b", "main")
        try git("add", "-A")
        try git("commit", "-q", "-m", "locks")
        try git("checkout", "-q", "-b", "bare")
        try git("rm", "-q", "workflows/shop.lock", "workflows/registry.jsonl")
        try git("commit", "-q", "-m", "no lock")
        try git("checkout", "-q", "main")
    }

    /// Stray keys no lock references, on a remote where `put` writes: an object, a record, a memo entry.
    static let strays = [
        "objects/00/" + String(repeating: "0", count: 64), "actions/00/" + String(repeating: "0", count: 64) + ".json",
        "memo/00/" + String(repeating: "0", count: 64),
    ]

    /// gc leaves the remote alone; gc --remote --dry-run lists exactly the strays; --ref bare would
    /// remove everything; gc --remote removes the strays only, and a clone still pulls everything.
    static func garbage(remote: String, put: (String) async throws -> Void, exists: (String) async throws -> Bool) async throws {
        let workspace = try await RemoteCacheEndToEndTests.trained(remote: remote)
        #expect(try await SpawnedLunette.run(["push"], in: workspace, extra: credentials).status == 0)
        try commit(workspace)
        for key in strays { try await put(key) }
        let local = try await SpawnedLunette.run(["cache", "gc"], in: workspace, extra: credentials)
        #expect(local.status == 0, "\(local.error)")
        for key in strays { #expect(try await exists(key), "plain gc removed \(key) from the remote") }

        let dry = try await SpawnedLunette.run(["cache", "gc", "--remote", "--dry-run", "--json"], in: workspace, extra: credentials)
        #expect(dry.status == 0, "\(dry.error)")
        let listed = try JSONValue.parse(dry.output)
        #expect(Set(try #require(listed["removed"]?.arrayValue).compactMap(\.stringValue)) == Set(strays), "\(dry.output)")
        #expect(listed["refs"] == .array(["refs/heads/bare", "refs/heads/main", "HEAD"]))
        let kept = try #require(listed["kept_count"]?.intValue)
        #expect(kept > 10)
        for key in strays { #expect(try await exists(key), "--dry-run removed \(key)") }
        let bare = try JSONValue.parse(
            try await SpawnedLunette.run(["cache", "gc", "--remote", "--dry-run", "--json", "--ref", "bare"], in: workspace, extra: credentials).output)
        #expect(bare["removed_count"]?.intValue == kept + strays.count, "\(bare)")

        let gc = try await SpawnedLunette.run(["cache", "gc", "--remote"], in: workspace, extra: credentials)
        #expect(gc.status == 0, "\(gc.error)")
        #expect(gc.output.contains("removed 3 keys"), "\(gc.output)")
        for key in strays { #expect(try await !exists(key), "\(key) is still on the remote") }
        let clone = try RemoteCacheEndToEndTests.clone(workspace)
        let pull = try await SpawnedLunette.run(["pull"], in: clone, extra: credentials)
        #expect(pull.status == 0, "\(pull.output)\(pull.error)")
        let run = try await SpawnedLunette.run(["run", "shop/tone-b"], in: clone, extra: credentials)
        #expect(run.output.contains("nothing to do: 6 stages up to date"), "\(run.output)")
        let unknown = try await SpawnedLunette.run(["cache", "gc", "--remote", "--ref", "no-such-ref"], in: workspace, extra: credentials)
        #expect(unknown.status == 1 && unknown.error.contains("no-such-ref"), "\(unknown.error)")
    }

    @Test("cache gc --remote on a shared folder: only unreferenced keys go; plain gc and --dry-run delete nothing there")
    func garbageFolder() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await Self.garbage(
            remote: "remote: \(folder.path)\n",
            put: { key in
                try FileManager.default.createDirectory(
                    at: folder.appendingPathComponent(key).deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data("stray".utf8).write(to: folder.appendingPathComponent(key))
            },
            exists: { key in FileManager.default.fileExists(atPath: folder.appendingPathComponent(key).path) })
    }

    @Test("cache gc --remote on S3 (moto_server): ListObjectsV2 and DELETE, the same outcome")
    func garbageS3() async throws {
        guard let server = try MotoServer.start() else {
            print("note: moto_server is not installed (scripts/test installs it); the S3 gc test is skipped")
            return
        }
        defer { server.stop() }
        try server.createBucket("lunette-gc")
        try await Self.garbage(
            remote: "remote:\n  url: s3://lunette-gc/team\n  endpoint: \(server.endpoint)\n  region: us-east-1\n",
            put: { key in try await server.put("lunette-gc", "team/\(key)", Data("stray".utf8)) },
            exists: { key in
                let remote = S3Remote(
                    bucket: "lunette-gc", prefix: "team", endpoint: URL(string: server.endpoint)!, region: "us-east-1", pathStyle: true,
                    credentials: AWSCredentials(accessKeyID: "testing-key", secretAccessKey: Secret(RemoteCacheEndToEndTests.secret)))
                let found = try await remote.exists(key)
                await remote.shutDown()
                return found
            })
    }

    @Test("verify reads through: in a clone with nothing pulled, the stages are fetched and re-executed, not skipped")
    func verifyReadsThrough() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let workspace = try await RemoteCacheEndToEndTests.trained(remote: "remote: \(folder.path)\n")
        #expect(try await SpawnedLunette.run(["push"], in: workspace, extra: Self.credentials).status == 0)
        let clone = try RemoteCacheEndToEndTests.clone(workspace)
        let verify = try await SpawnedLunette.run(["verify", "shop/tone-b"], in: clone, extra: Self.credentials)
        #expect(verify.status == 0, "\(verify.output)\(verify.error)")
        #expect(!verify.output.contains("not up to date"), "\(verify.output)")
        #expect(verify.output.contains("same  shop/tone-b/train"), "\(verify.output)")
        #expect(verify.error.contains("note: pulled"), "\(verify.error)")
    }

    @Test("serve reads through: a registered model only the remote has is fetched on the first request")
    func serveReadsThrough() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let workspace = try await RemoteCacheEndToEndTests.trained(remote: "remote: \(folder.path)\n")
        #expect(try await SpawnedLunette.run(["push"], in: workspace, extra: Self.credentials).status == 0)
        let clone = try RemoteCacheEndToEndTests.clone(workspace)
        #expect(!FileManager.default.fileExists(atPath: clone.root.appendingPathComponent("cache/objects").path))
        let serve = try ServeProcess.start(["--port", "0"], in: clone, extra: Self.credentials)
        let scored = try await ServeProcessTests.request(
            "http://127.0.0.1:\(serve.port)/v1/metrics/polite@1/score", method: "POST", body: #"{"rows":[{"input":"Thank you so much"}]}"#)
        let stopped = serve.stop()
        #expect(scored.status == 200, "\(scored.text) \(stopped.error)")
        #expect(try JSONValue.parse(scored.text)["scores"]?.arrayValue?.count == 1)
    }

    /// A clock the test moves by hand, and everything written.
    final class ProgressHarness: @unchecked Sendable {
        private let lock = NSLock()
        private var time = 0.0
        private var written: [String] = []
        var text: String { lock.withLock { written.joined() } }
        var writes: Int { lock.withLock { written.count } }
        func advance(_ seconds: Double) { lock.withLock { time += seconds } }

        func printer(terminal: Bool) -> TransferProgressPrinter {
            TransferProgressPrinter(
                verb: "pulling", isTerminal: terminal, now: { [self] in lock.withLock { time } },
                write: { [self] text in lock.withLock { written.append(text) } })
        }
    }

    @Test("off a terminal: a line per tenth of the objects or per 5 s, never one per object; notices on their own line")
    func progressLines() {
        let harness = ProgressHarness()
        let printer = harness.printer(terminal: false)
        printer.handle(.planned(count: 200, bytes: 0))
        for index in 0..<200 {
            harness.advance(0.01)
            printer.handle(.settled(key: "objects/\(index)", bytes: 1000, moved: true))
        }
        let lines = harness.text.split(separator: "\n")
        #expect(lines.count == 10, "\(harness.text)")
        #expect(lines.last == "pulling 200/200 objects, 200 KB moved, 100 KB/s", "\(harness.text)")
        #expect(!harness.text.contains("\r"))
        // A slow transfer still says something every 5 s.
        printer.handle(.planned(count: 1000, bytes: 0))
        harness.advance(6)
        printer.handle(.settled(key: "objects/slow", bytes: 0, moved: false))
        #expect(harness.text.hasSuffix("pulling 201/1200 objects, 200 KB moved, 25 KB/s\n"), "\(harness.text)")
        // Past the last tenth already shown, only the 5-second lines come.
        for index in 0..<500 { printer.handle(.settled(key: "objects/more-\(index)", bytes: 0, moved: false)) }
        #expect(harness.text.hasSuffix("pulling 201/1200 objects, 200 KB moved, 25 KB/s\n"), "\(harness.text)")
        harness.advance(5)
        printer.handle(.settled(key: "objects/later", bytes: 0, moved: false))
        #expect(harness.text.hasSuffix("pulling 702/1200 objects, 200 KB moved, 15 KB/s\n"), "\(harness.text)")
        printer.handle(.notice("corrupt: objects/ab/abcd does not hash to its name"))
        #expect(harness.text.hasSuffix("\ncorrupt: objects/ab/abcd does not hash to its name\n"))
    }

    @Test("on a terminal: one line redrawn in place at most every 0.1 s, cleared at the end")
    func progressTerminal() {
        let harness = ProgressHarness()
        let printer = harness.printer(terminal: true)
        printer.handle(.planned(count: 1000, bytes: 0))
        for index in 0..<1000 {
            harness.advance(0.001)
            printer.handle(.settled(key: "objects/\(index)", bytes: 2000, moved: true))
        }
        #expect(harness.writes <= 12, "\(harness.writes) redraws")
        #expect(!harness.text.contains("\n"))
        #expect(harness.text.hasSuffix("\r\u{1B}[Kpulling 1000/1000 objects, 2 MB moved, 2 MB/s"), "\(harness.text)")
        printer.finish()
        #expect(harness.text.hasSuffix("\r\u{1B}[K"))
    }

    @Test("push and pull print a summary, not a line per object, when standard error is no terminal")
    func noLinePerObject() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let workspace = try await RemoteCacheEndToEndTests.trained(remote: "remote: \(folder.path)\n")
        let push = try await SpawnedLunette.run(["push"], in: workspace, extra: Self.credentials)
        #expect(push.status == 0, "\(push.error)")
        #expect(!push.output.contains("pushed objects/") && !push.error.contains("pushed objects/"))
        #expect(push.output.split(separator: "\n").count == 1 && push.output.hasPrefix("uploaded "), "\(push.output)")
        #expect(push.error.split(separator: "\n").count <= 12, "\(push.error)")
        let clone = try RemoteCacheEndToEndTests.clone(workspace)
        let pull = try await SpawnedLunette.run(["pull"], in: clone, extra: Self.credentials)
        #expect(pull.output.split(separator: "\n").count == 1 && pull.output.hasPrefix("downloaded "), "\(pull.output)")
        #expect(pull.error.split(separator: "\n").count <= 12, "\(pull.error)")
    }

    @Test("a remote record of the same action key with other outputs (made elsewhere) is no corruption: push still uploads the lock's objects, pull takes the lock's outputs")
    func recordWithOtherOutputs() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let workspace = try await RemoteCacheEndToEndTests.trained(remote: "remote: \(folder.path)\n")
        #expect(try await SpawnedLunette.run(["push"], in: workspace, extra: Self.credentials).status == 0)
        // The evaluate stage's record on the remote now names another report (as a clone whose bytes differ would).
        let lock = try workspace.read("workflows/shop.lock")
        let block = try #require(lock.components(separatedBy: "\"shop/tone-b/evaluate\":").last)
        let hex = String(try #require(block.components(separatedBy: "key: \"sha256:").dropFirst().first?.prefix(64)))
        let report = String(try #require(block.components(separatedBy: "\"report\":{\"digest\":\"sha256:").dropFirst().first?.prefix(64)))
        let recordURL = folder.appendingPathComponent("actions/\(hex.prefix(2))/\(hex).json")
        let other = String(repeating: "e", count: 64)
        let record = try String(contentsOf: recordURL, encoding: .utf8).replacingOccurrences(of: report, with: other)
        try record.write(to: recordURL, atomically: true, encoding: .utf8)
        let reportKey = "objects/\(report.prefix(2))/\(report)"
        try FileManager.default.removeItem(at: folder.appendingPathComponent(reportKey))

        let push = try await SpawnedLunette.run(["push", "--json"], in: workspace, extra: Self.credentials)
        #expect(push.status == 0, "\(push.error)")
        let uploaded = try #require(try JSONValue.parse(push.output)["uploaded"]?.arrayValue).compactMap(\.stringValue)
        #expect(uploaded.contains(reportKey), "\(uploaded)")
        #expect(try String(contentsOf: recordURL, encoding: .utf8) == record)

        let clone = try RemoteCacheEndToEndTests.clone(workspace)
        let pull = try await SpawnedLunette.run(["pull"], in: clone, extra: Self.credentials)
        #expect(pull.status == 0, "\(pull.output)\(pull.error)")
        let run = try await SpawnedLunette.run(["run", "shop/tone-b"], in: clone, extra: Self.credentials)
        #expect(run.output.contains("nothing to do: 6 stages up to date"), "\(run.output)")
        #expect(try clone.read("workflows/shop.lock") == lock)
    }

    /// A folder remote that counts the requests a push makes.
    final class CountingRemote: ListableRemoteStore, @unchecked Sendable {
        let base: FolderRemote
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        init(_ root: URL) { base = FolderRemote(root: root) }
        func count(_ name: String) -> Int { lock.withLock { counts[name, default: 0] } }
        private func note(_ name: String) { lock.withLock { counts[name, default: 0] += 1 } }
        var description: String { base.description }
        func exists(_ key: String) async throws -> Bool { note("exists"); return try await base.exists(key) }
        func download(_ key: String, to destination: URL) async throws -> Bool { try await base.download(key, to: destination) }
        func upload(_ source: URL, as key: String, sha256: String?) async throws { try await base.upload(source, as: key, sha256: sha256) }
        func list(prefix: String) async throws -> [RemoteListing] { note("list"); return try await base.list(prefix: prefix) }
        func delete(_ key: String) async throws { try await base.delete(key) }
        func shutDown() async {}
    }

    @Test("a push asks key by key at first, then lists objects/ and memo/ once and answers the rest from the listing")
    func keyIndexLists() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: file)
        let remote = CountingRemote(folder.appendingPathComponent("remote"))
        for index in stride(from: 0, to: 40, by: 2) { try await remote.upload(file, as: "objects/00/\(index)", sha256: nil) }
        try await remote.upload(file, as: "memo/00/m", sha256: nil)
        let keys = RemoteKeyIndex(remote, listAfter: 10)
        var found: [Bool] = []
        for index in 0..<40 { found.append(try await keys.exists("objects/00/\(index)")) }
        #expect(found == (0..<40).map { $0 % 2 == 0 })
        #expect(try await keys.exists("memo/00/m"))
        #expect(remote.count("exists") == 10)
        #expect(remote.count("list") == 2)
    }
}
