import Basics
import Foundation
import RemoteCache
import Testing
import _TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The remote cache when the server misbehaves, on the built binary against moto_server behind a
/// fault-injecting proxy (``S3FaultProxy``): 500s, throttling (503 SlowDown) and dropped
/// connections are retried; a server that hangs times out, is retried, and ends in an error that
/// names the remote and leaves the local cache as it was; Ctrl-C during a push or a pull leaves
/// nothing half-published (no partial object, no pending multipart upload, no partial file in
/// `cache/objects/`) and exits 130. Skipped, saying so, without moto_server.
@Suite("Remote cache: faults and interrupts", .serialized)
struct RemoteCacheFaultTests {
    static let bucket = "lunette-faults"
    /// Short backoffs, so that a test of five retries takes a second. The wait for a silent server stays
    /// long enough for a loaded CI machine (a 1 s wait once timed out moto's own answers there); the
    /// test of a hanging server sets its own ``hang`` wait.
    static let quick = ["LUNETTE_REMOTE_RETRY_DELAY": "0.01", "LUNETTE_REMOTE_TIMEOUT": "20"]
    /// What the hanging-server test adds: a 1 s wait, two retries.
    static let hang = ["LUNETTE_REMOTE_RETRIES": "2", "LUNETTE_REMOTE_TIMEOUT": "1"]
    static var environment: [String: String] { RemoteCacheEndToEndTests.credentials.merging(quick) { _, new in new } }

    /// moto_server with an empty bucket and a proxy in front of it, for `body`; `nil` (the test
    /// returns) when moto_server is not installed.
    static func withServers(_ body: (MotoServer, S3FaultProxy) async throws -> Void) async throws {
        guard let moto = try MotoServer.start() else {
            print("note: moto_server is not installed (scripts/test installs it); the remote-cache fault tests are skipped")
            return
        }
        defer { moto.stop() }
        try moto.createBucket(bucket)
        let proxy = try await S3FaultProxy.start(upstream: moto.endpoint)
        do {
            try await body(moto, proxy)
            await proxy.stop()
        } catch {
            await proxy.stop()
            throw error
        }
    }

    static func settings(endpoint: String) -> String {
        "remote:\n  url: s3://\(bucket)/team\n  endpoint: \(endpoint)\n  region: us-east-1\n"
    }

    /// A workspace that ran `shop/tone-b`'s load and split stages (no training: fast), its remote
    /// at `endpoint`.
    static func splitWorkspace(endpoint: String, manifest edit: (String) -> String = { $0 }) async throws -> CaseWorkspace {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try workspace.write(edit(try workspace.read("workflows/shop.yaml")), to: "workflows/shop.yaml")
        try workspace.write(settings(endpoint: endpoint), to: "lunette.yaml")
        let run = try await SpawnedLunette.run(["run", "shop/tone-b/split"], in: workspace, extra: environment)
        #expect(run.status == 0, "\(run.output)\(run.error)")
        return workspace
    }

    /// A fresh clone of `workspace`: its committed files, no cache.
    static func clone(_ workspace: CaseWorkspace) throws -> CaseWorkspace {
        let other = try CaseWorkspace("incremental", project: "shop")
        for file in ["workflows/shop.yaml", "workflows/shop.lock", "lunette.yaml"] {
            try other.write(try workspace.read(file), to: file)
        }
        return other
    }

    // MARK: - Retried faults

    @Test("push: 500s and 503 SlowDown are retried; every object arrives whole")
    func pushRetriesServerErrors() async throws {
        try await Self.withServers { moto, proxy in
            let workspace = try await Self.splitWorkspace(endpoint: proxy.endpoint)
            proxy.inject(.status(500, code: "InternalError"), method: "PUT", matching: "/objects/", times: 2)
            proxy.inject(.status(503, code: "SlowDown"), method: "PUT", matching: "/objects/", times: 2)
            proxy.inject(.status(500, code: "InternalError"), matching: "/actions/", times: 1)  // a record read or write
            let push = try await SpawnedLunette.run(["push", "--json"], in: workspace, extra: Self.environment)
            #expect(push.status == 0, "\(push.output)\(push.error)")
            let uploaded = try #require(try JSONValue.parse(push.output)["uploaded"]?.arrayValue).compactMap(\.stringValue)
            #expect(uploaded.contains { $0.hasPrefix("actions/") } && uploaded.contains { $0.hasPrefix("objects/") })
            // Every fault was given, and each faulted request was sent again.
            let faulted = proxy.log.filter { $0.fault != nil }
            #expect(faulted.count == 5, "\(proxy.log.map { "\($0.method) \($0.uri) \(String(describing: $0.fault))" })")
            for entry in faulted {
                #expect(proxy.log.filter { $0.method == entry.method && $0.uri == entry.uri }.count >= 2, "\(entry.uri) not retried")
            }
            // What moto holds is what was pushed, each object's bytes its name's.
            let keys = try moto.keys(Self.bucket, prefix: "team/")
            #expect(Set(keys) == Set(uploaded.map { "team/\($0)" }))
            try await moto.expectObjectsMatchTheirNames(Self.bucket, keys)
            #expect(try moto.pendingUploads(Self.bucket) == 0)
        }
    }

    @Test("pull: dropped connections, 500s and SlowDown are retried; nothing partial reaches cache/objects")
    func pullRetriesDroppedConnections() async throws {
        try await Self.withServers { moto, proxy in
            let workspace = try await Self.splitWorkspace(endpoint: moto.endpoint)
            let push = try await SpawnedLunette.run(["push"], in: workspace, extra: Self.environment)
            #expect(push.status == 0, "\(push.error)")
            let clone = try Self.clone(workspace)
            try clone.write(Self.settings(endpoint: proxy.endpoint), to: "lunette.yaml")
            proxy.inject(.drop, method: "GET", matching: "/objects/", times: 2)
            proxy.inject(.status(500, code: "InternalError"), method: "GET", matching: "/objects/", times: 1)
            proxy.inject(.status(503, code: "SlowDown"), method: "GET", matching: "/actions/", times: 1)
            let pull = try await SpawnedLunette.run(["pull", "--json"], in: clone, extra: Self.environment)
            #expect(pull.status == 0, "\(pull.output)\(pull.error)")
            let dropped = proxy.log.filter { $0.fault == .drop }
            #expect(dropped.count == 2)
            for entry in dropped {
                #expect(proxy.requests("GET", containing: entry.uri).count >= 2, "\(entry.uri) not retried")
            }
            let objects = try Self.cacheObjects(clone)
            #expect(!objects.isEmpty)
            #expect(objects == (try Self.cacheObjects(workspace)).filter { objects[$0.key] != nil })
            #expect(Self.leftovers(clone).isEmpty, "\(Self.leftovers(clone))")
            let run = try await SpawnedLunette.run(["run", "shop/tone-b/split"], in: clone, extra: Self.environment)
            #expect(run.output.contains("nothing to do: 2 stages up to date"), "\(run.output)\(run.error)")
        }
    }

    // MARK: - Faults that do not go away

    @Test("a server that hangs: each request times out, is retried, then a clear error names the remote; nothing local changes")
    func hangingServer() async throws {
        try await Self.withServers { moto, proxy in
            let workspace = try await Self.splitWorkspace(endpoint: proxy.endpoint)
            let before = try Self.snapshot(workspace)
            proxy.inject(.hang, method: "PUT", times: 1000)
            let started = Date()
            let extra = Self.environment.merging(Self.hang) { _, new in new }
            let push = try await SpawnedLunette.run(["push"], in: workspace, extra: extra)
            let seconds = Date().timeIntervalSince(started)
            #expect(push.status == 1, "\(push.output)\(push.error)")
            #expect(push.error.contains("at s3://\(Self.bucket)/team: the server sent nothing for 1 s (3 attempts)"), "\(push.error)")
            #expect(push.error.contains("fix: ") && push.error.contains("LUNETTE_REMOTE_TIMEOUT"))
            #expect(!push.error.contains(RemoteCacheEndToEndTests.secret) && !push.output.contains(RemoteCacheEndToEndTests.secret))
            #expect(seconds < 30, "the timeouts took \(seconds) s")
            // Three tries of the first object, one second each (and nothing forwarded to moto).
            let first = try #require(proxy.requests("PUT", containing: "/objects/").first)
            #expect(proxy.requests("PUT", containing: first.uri).count == 3)
            #expect(try moto.keys(Self.bucket, prefix: "").isEmpty)
            #expect(try Self.snapshot(workspace) == before)

            // The same for a pull into a clone: the error names the remote; its cache stays empty.
            proxy.clearFaults()
            let clone = try Self.clone(workspace)
            proxy.inject(.hang, method: "GET", times: 1000)
            let pushDirect = try await SpawnedLunette.run(
                ["push"], in: workspace, extra: Self.environment.merging(["LUNETTE_REMOTE_ENDPOINT": moto.endpoint, "LUNETTE_REMOTE": "s3://\(Self.bucket)/team"]) { _, new in new })
            #expect(pushDirect.status == 0, "\(pushDirect.error)")
            let pull = try await SpawnedLunette.run(["pull"], in: clone, extra: extra)
            #expect(pull.status == 1, "\(pull.output)\(pull.error)")
            #expect(pull.error.contains("at s3://\(Self.bucket)/team: the server sent nothing for 1 s (3 attempts)"), "\(pull.error)")
            #expect(try Self.cacheObjects(clone).isEmpty)
            #expect(Self.leftovers(clone).isEmpty, "\(Self.leftovers(clone))")
        }
    }

    @Test("throttling that does not stop: the error names the remote, the status and the attempts, and exits 1")
    func persistentServerErrors() async throws {
        try await Self.withServers { moto, proxy in
            let workspace = try await Self.splitWorkspace(endpoint: proxy.endpoint)
            let before = try Self.snapshot(workspace)
            proxy.inject(.status(503, code: "SlowDown"), times: 1000)
            let earlier = proxy.log.count  // the run's own read-through requests
            let push = try await SpawnedLunette.run(["push"], in: workspace, extra: Self.environment)
            #expect(push.status == 1)
            // The first request may be a HEAD, whose answer has no body to carry S3's code.
            #expect(
                push.error.contains("at s3://\(Self.bucket)/team: SlowDown (HTTP 503) (5 attempts)")
                    || push.error.contains("at s3://\(Self.bucket)/team: HTTP 503 (5 attempts)"), "\(push.error)")
            #expect(push.error.contains("fix: the server is busy or throttling: try again later"))
            // Records are asked `jobs` at a time: the request that used up its 5 attempts ended the
            // push, and the others, cancelled then, had made no more.
            let requests = proxy.log.dropFirst(earlier)
            let attempts = Dictionary(grouping: requests, by: \.uri).mapValues(\.count)
            #expect(attempts.values.max() == 5, "\(requests.map(\.uri))")
            #expect(try Self.snapshot(workspace) == before)
            #expect(try moto.keys(Self.bucket, prefix: "").isEmpty)
        }
    }

    // MARK: - Multipart

    @Test("a multipart upload just above the threshold: two parts, and the object downloads whole")
    func multipartUpload() async throws {
        try await Self.withServers { moto, _ in
            let size = Int(RemoteTransferSettings.minimumPartSize) + 1000
            let (file, digest) = try Self.randomFile(bytes: size)
            defer { try? FileManager.default.removeItem(at: file) }
            let key = "objects/\(digest.prefix(2))/\(digest)"
            try await Self.withRemote(moto.endpoint, threshold: Int64(size - 1)) { remote in
                try await remote.upload(file, as: key, sha256: digest)
                let back = FileManager.default.temporaryDirectory.appendingPathComponent("multipart-back-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: back) }
                #expect(try await remote.download(key, to: back))
                #expect(ContentHash.of(try Data(contentsOf: back)).hex == digest)
            }
            #expect(try moto.keys(Self.bucket, prefix: "") == ["team/\(key)"])
            // A multipart object's ETag ends in its number of parts.
            let listing = try moto.curl(["-sf", "\(moto.endpoint)/\(Self.bucket)?list-type=2"])
            #expect(listing.contains("-2&quot;</ETag>") || listing.contains("-2\"</ETag>"), "\(listing)")
            #expect(try moto.pendingUploads(Self.bucket) == 0)
        }
    }

    @Test("a multipart upload whose part keeps failing is aborted: no pending upload, no object")
    func failedMultipartIsAborted() async throws {
        try await Self.withServers { moto, proxy in
            // Above a 1-byte threshold, a small file goes up as one (last, so small) part.
            let (file, digest) = try Self.randomFile(bytes: 2000)
            defer { try? FileManager.default.removeItem(at: file) }
            proxy.inject(.status(500, code: "InternalError"), method: "PUT", matching: "partNumber=", times: 1000)
            let key = "objects/\(digest.prefix(2))/\(digest)"
            try await Self.withRemote(proxy.endpoint, threshold: 1) { remote in
                await #expect(throws: RemoteError.self) { try await remote.upload(file, as: key, sha256: digest) }
            }
            #expect(proxy.requests("POST", containing: "?uploads").count == 1)
            #expect(proxy.requests("PUT", containing: "partNumber=1").count == 3)
            #expect(proxy.requests("DELETE", containing: "uploadId=").count == 1)
            #expect(try moto.pendingUploads(Self.bucket) == 0)
            #expect(try moto.keys(Self.bucket, prefix: "").isEmpty)
            // Without the abort, moto would keep the upload: the test would see it.
            proxy.clearFaults()
            proxy.inject(.status(500, code: "InternalError"), method: "DELETE", times: 1000)
            try await Self.withRemote(proxy.endpoint, threshold: 1) { remote in
                await #expect(throws: RemoteError.self) {
                    proxy.inject(.status(500, code: "InternalError"), method: "PUT", matching: "partNumber=", times: 1000)
                    try await remote.upload(file, as: key, sha256: digest)
                }
            }
            #expect(try moto.pendingUploads(Self.bucket) == 1)
        }
    }

    // MARK: - Ctrl-C

    @Test("Ctrl-C during a push: exit 130, multipart uploads aborted, no object half-published")
    func interruptedPush() async throws {
        try await Self.withServers { moto, proxy in
            let workspace = try await Self.splitWorkspace(endpoint: proxy.endpoint)
            // Every object above 100 bytes goes up in parts, and every part hangs.
            proxy.inject(.hang, method: "PUT", matching: "partNumber=", times: 1000)
            let extra = Self.environment.merging(["LUNETTE_REMOTE_MULTIPART_THRESHOLD": "100", "LUNETTE_REMOTE_TIMEOUT": "60"]) { _, new in new }
            let push = try SpawnedLunette(
                ["push"], in: workspace.root, environment: workspace.environment.merging(extra) { _, new in new },
                logs: workspace.root.appendingPathComponent("test-logs"), label: "push")
            let hung = await Self.waitUntil(seconds: 30) { !proxy.requests("PUT", containing: "partNumber=").isEmpty }
            #expect(hung, "no part upload started: \(push.error)")
            try await Task.sleep(for: .milliseconds(300))
            kill(push.pid, SIGINT)
            let ended = await push.wait(timeout: 20)
            if !ended { await push.killAndReap() }
            #expect(ended, "push still running 20 s after SIGINT")
            #expect(push.status == 130, "status \(String(describing: push.status)), signal \(String(describing: push.signal)): \(push.error)")
            #expect(push.error.contains("interrupted: cancelling transfers; nothing half-published is kept (again to exit now)"), "\(push.error)")
            #expect(!push.error.contains("cancelling running stages"), "\(push.error)")
            let started = proxy.requests("POST", containing: "?uploads").count
            #expect(started >= 1)
            #expect(proxy.requests("DELETE", containing: "uploadId=").count == started)
            #expect(try moto.pendingUploads(Self.bucket) == 0)
            // Whatever did arrive is whole, and no record points at a missing object.
            let keys = try moto.keys(Self.bucket, prefix: "team/")
            try await moto.expectObjectsMatchTheirNames(Self.bucket, keys)
            #expect(!keys.contains { $0.contains("/actions/") }, "\(keys)")
        }
    }

    @Test("Ctrl-C during a pull: exit 130, nothing partial in cache/objects, no download left behind")
    func interruptedPull() async throws {
        try await Self.withServers { moto, proxy in
            let workspace = try await Self.splitWorkspace(endpoint: moto.endpoint)
            let pushed = try await SpawnedLunette.run(["push"], in: workspace, extra: Self.environment)
            #expect(pushed.status == 0, "\(pushed.error)")
            let clone = try Self.clone(workspace)
            try clone.write(Self.settings(endpoint: proxy.endpoint), to: "lunette.yaml")
            // Object bodies drip 64 bytes a second: every download is under way when Ctrl-C comes.
            proxy.inject(.slow(.seconds(1)), method: "GET", matching: "/objects/", times: 1000)
            let pull = try SpawnedLunette(
                ["pull"], in: clone.root, environment: clone.environment.merging(Self.environment) { _, new in new },
                logs: clone.root.appendingPathComponent("test-logs"), label: "pull")
            let slowed = await Self.waitUntil(seconds: 30) { !proxy.requests("GET", containing: "/objects/").isEmpty }
            #expect(slowed, "no download started: \(pull.error)")
            try await Task.sleep(for: .milliseconds(1500))
            kill(pull.pid, SIGINT)
            let ended = await pull.wait(timeout: 20)
            if !ended { await pull.killAndReap() }
            #expect(ended, "pull still running 20 s after SIGINT")
            #expect(pull.status == 130, "status \(String(describing: pull.status)), signal \(String(describing: pull.signal)): \(pull.error)")
            #expect(pull.error.contains("interrupted: cancelling transfers; nothing half-published is kept (again to exit now)"), "\(pull.error)")
            #expect(try Self.cacheObjects(clone).isEmpty)
            #expect(Self.leftovers(clone).isEmpty, "\(Self.leftovers(clone))")
            // The interrupted pull resumes: without the faults it completes.
            proxy.clearFaults()
            let again = try await SpawnedLunette.run(["pull"], in: clone, extra: Self.environment)
            #expect(again.status == 0, "\(again.output)\(again.error)")
            let objects = try Self.cacheObjects(clone)
            #expect(!objects.isEmpty)
            #expect(objects == (try Self.cacheObjects(workspace)).filter { objects[$0.key] != nil })
        }
    }

    // MARK: - Helpers

    /// An ``S3Remote`` for the bucket's `team` prefix at `endpoint`: 3 attempts, short waits.
    static func withRemote(
        _ endpoint: String, bucket: String = bucket, threshold: Int64, prefix: String = "team", _ body: (S3Remote) async throws -> Void
    ) async throws {
        let remote = S3Remote(
            bucket: bucket, prefix: prefix, endpoint: URL(string: endpoint)!, region: "us-east-1", pathStyle: true,
            credentials: AWSCredentials(accessKeyID: "testing-key", secretAccessKey: Secret(RemoteCacheEndToEndTests.secret)),
            transfer: RemoteTransferSettings(
                timeout: .seconds(5), retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)),
                multipartThreshold: threshold, partSize: RemoteTransferSettings.minimumPartSize))
        do {
            try await body(remote)
            await remote.shutDown()
        } catch {
            await remote.shutDown()
            throw error
        }
    }

    /// A file of `bytes` random bytes and its SHA-256 in hex.
    static func randomFile(bytes: Int) throws -> (URL, String) {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("multipart-\(UUID().uuidString)")
        try data.write(to: file)
        return (file, ContentHash.of(data).hex)
    }

    /// Every file of the workspace's `cache/objects/` by name, each checked to hash to its name.
    static func cacheObjects(_ workspace: CaseWorkspace) throws -> [String: Int] {
        let folder = workspace.root.appendingPathComponent("cache/objects")
        var found: [String: Int] = [:]
        for path in FileManager.default.subpaths(atPath: folder.path) ?? [] {
            var isFolder: ObjCBool = false
            let url = folder.appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            let data = try Data(contentsOf: url)
            let name = url.lastPathComponent
            #expect(ContentHash.of(data).hex == name, "cache/objects/\(path) does not hash to its name")
            found[name] = data.count
        }
        return found
    }

    /// Downloads left in the workspace's `cache/tmp/` (a pull's scratch space).
    static func leftovers(_ workspace: CaseWorkspace) -> [String] {
        let folder = workspace.root.appendingPathComponent("cache/tmp")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("pull-") || $0.hasPrefix("record-") }
    }

    /// The cache's objects and records and the lock, as names and bytes' hashes.
    static func snapshot(_ workspace: CaseWorkspace) throws -> [String: String] {
        var files: [String: String] = [:]
        for top in ["cache/objects", "cache/index", "cache/memo", "workflows"] {
            let folder = workspace.root.appendingPathComponent(top)
            for path in FileManager.default.subpaths(atPath: folder.path) ?? [] {
                let url = folder.appendingPathComponent(path)
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
                files["\(top)/\(path)"] = ContentHash.of(try Data(contentsOf: url)).hex
            }
        }
        return files
    }

    /// Polls `condition` every 50 ms for up to `seconds`.
    static func waitUntil(seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }
}

extension MotoServer {
    /// The bucket's keys under `prefix` (moto does not check signatures: plain requests do).
    func keys(_ bucket: String, prefix: String) throws -> [String] {
        let xml = try curl(["-sf", "\(endpoint)/\(bucket)?list-type=2&max-keys=1000&prefix=\(prefix)"])
        return xml.components(separatedBy: "<Key>").dropFirst().compactMap { $0.components(separatedBy: "</Key>").first }.sorted()
    }

    /// Multipart uploads started and neither completed nor aborted.
    func pendingUploads(_ bucket: String) throws -> Int {
        let xml = try curl(["-sf", "\(endpoint)/\(bucket)?uploads"])
        return xml.components(separatedBy: "<Upload>").count - 1
    }

    /// Checks that each `objects/…/HEX` key's bytes (fetched with a signed GET: moto refuses
    /// anonymous reads) hash to HEX.
    func expectObjectsMatchTheirNames(_ bucket: String, _ keys: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        try await RemoteCacheFaultTests.withRemote(endpoint, bucket: bucket, threshold: 1 << 30, prefix: "") { remote in
            for key in keys where key.contains("objects/") {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("moto-get-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: file) }
                let found = try await remote.download(key, to: file)
                let name = String(key.split(separator: "/").last ?? "")
                let hash = found ? ContentHash.of(try Data(contentsOf: file)).hex : "(missing)"
                #expect(hash == name, "\(key) does not hash to its name", sourceLocation: sourceLocation)
            }
        }
    }
}
