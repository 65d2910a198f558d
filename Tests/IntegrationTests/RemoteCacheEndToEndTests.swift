import Basics
import Foundation
import RemoteCache
import Testing
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `lunette push` / `pull` and the read-through of `lunette run`, on the built binary, against a
/// shared folder and against a real S3-compatible server (moto's `moto_server` on loopback, started
/// here; `scripts/test` installs it when missing). A corrupt remote object is caught, never used.
@Suite("Remote cache: push, pull, read-through", .serialized)
struct RemoteCacheEndToEndTests {
    static let secret = "remote-secret-VALUE-7f3a"
    static var credentials: [String: String] {
        ["AWS_ACCESS_KEY_ID": "testing-key", "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": "", "AWS_PROFILE": ""]
    }

    /// A workspace that ran `shop/tone-b` on the tiny encoder, with `remote` in its lunette.yaml.
    static func trained(remote: String) async throws -> CaseWorkspace {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try TinyModel.write(to: workspace.models.appendingPathComponent("minilm-l6"))
        var manifest = try workspace.read("workflows/shop.yaml")
        manifest = manifest.replacingOccurrences(of: "train: { epochs: 3 }", with: "train: { mode: head }")
        try workspace.write(manifest, to: "workflows/shop.yaml")
        try workspace.write(remote, to: "lunette.yaml")
        let run = try await SpawnedLunette.run(["run", "shop/tone-b"], in: workspace, extra: credentials)
        #expect(run.status == 0, "\(run.error)")
        return workspace
    }

    /// The same workspace as a fresh clone would have it: the committed files, no cache.
    static func clone(_ workspace: CaseWorkspace) throws -> CaseWorkspace {
        let other = try CaseWorkspace("incremental", project: "shop")
        try TinyModel.write(to: other.models.appendingPathComponent("minilm-l6"))
        for file in ["workflows/shop.yaml", "workflows/shop.lock", "workflows/shop.scores.json", "workflows/registry.jsonl", "lunette.yaml"] {
            try other.write(try workspace.read(file), to: file)
        }
        return other
    }

    /// push, push again (nothing new); in a clone: score reads the model through, cache status says
    /// "remote", pull, cache status says "local", run (nothing runs), score; then a corrupt
    /// remote object: pull reports it, exits 1, and the run re-makes that stage instead of using it.
    static func roundTrip(remote: String, corrupt: (String, Data) async throws -> Void) async throws {
        let workspace = try await trained(remote: remote)
        let push = try await SpawnedLunette.run(["push", "--json"], in: workspace, extra: credentials)
        #expect(push.status == 0, "\(push.error)")
        let pushed = try JSONValue.parse(push.output)
        let uploaded = try #require(pushed["uploaded"]?.arrayValue)
        #expect(uploaded.contains { $0.stringValue?.hasPrefix("actions/") == true })
        #expect(uploaded.contains { $0.stringValue?.hasPrefix("objects/") == true })
        let again = try JSONValue.parse(try await SpawnedLunette.run(["push", "--json"], in: workspace, extra: credentials).output)
        #expect(again["uploaded"] == .array([]))
        #expect((again["already_there"]?.intValue ?? 0) >= uploaded.count)

        let clone = try Self.clone(workspace)
        // Score reads through: the registered model comes from the remote, nothing else is pulled.
        let direct = try await SpawnedLunette.run(["score", "polite", "--input", "/dev/null"], in: clone, extra: credentials)
        #expect(direct.status == 0, "\(direct.error)")
        let before = try JSONValue.parse(try await SpawnedLunette.run(["cache", "status", "--json"], in: clone, extra: credentials).output)
        let places = try #require(before["stages"]?.arrayValue).compactMap { $0["place"]?.stringValue }
        #expect(places.count == 6 && places.allSatisfy { $0 == "remote" }, "\(places)")
        let pull = try await SpawnedLunette.run(["pull"], in: clone, extra: credentials)
        #expect(pull.status == 0, "\(pull.output)\(pull.error)")
        let after = try JSONValue.parse(try await SpawnedLunette.run(["cache", "status", "--json"], in: clone, extra: credentials).output)
        #expect(try #require(after["stages"]?.arrayValue).allSatisfy { $0["place"] == .string("local") })
        let run = try await SpawnedLunette.run(["run", "shop/tone-b"], in: clone, extra: credentials)
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("nothing to do: 6 stages up to date"), "\(run.output)")
        let score = try await SpawnedLunette.run(["score", "polite", "--input", "/dev/null"], in: clone, extra: credentials)
        #expect(score.status == 0, "\(score.error)")
        for output in [push.output, push.error, pull.output, pull.error, run.output, run.error] {
            #expect(!output.contains(secret))
        }

        // The evaluate stage's report: its tree object is replaced by other bytes on the remote.
        let lock = try clone.read("workflows/shop.lock")
        let line = try #require(lock.split(separator: "\n").first { $0.contains("\"report\":{\"digest\":\"sha256:") })
        let digest = try #require(line.components(separatedBy: "\"report\":{\"digest\":\"sha256:").last?.prefix(64))
        try await corrupt("objects/\(digest.prefix(2))/\(digest)", Data("{\"entries\":[]}".utf8))
        let fresh = try Self.clone(workspace)
        let bad = try await SpawnedLunette.run(["pull"], in: fresh, extra: credentials)
        #expect(bad.status == 1)
        #expect(bad.error.contains("corrupt on the remote") && bad.error.contains(String(digest)))
        let rerun = try await SpawnedLunette.run(["run", "shop/tone-b"], in: fresh, extra: credentials)
        #expect(rerun.status == 0, "\(rerun.error)")
        #expect(rerun.output.contains("ok    shop/tone-b/evaluate"), "\(rerun.output)")
        #expect(try fresh.read("workflows/shop.lock") == lock)
    }

    @Test("a shared folder: push, pull into a clone that then runs nothing, and a corrupt object is caught")
    func folder() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-remote-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await Self.roundTrip(remote: "remote: \(folder.path)\n") { key, bytes in
            try bytes.write(to: folder.appendingPathComponent(key))
        }
    }

    @Test("S3 (moto_server on loopback): the same round trip, signed with SigV4")
    func s3() async throws {
        guard let server = try MotoServer.start() else {
            print("note: moto_server is not installed (scripts/test installs it); the S3 round trip is skipped")
            return
        }
        defer { server.stop() }
        try server.createBucket("lunette-it")
        try await Self.roundTrip(
            remote: "remote:\n  url: s3://lunette-it/team\n  endpoint: \(server.endpoint)\n  region: us-east-1\n"
        ) { key, bytes in
            try await server.put("lunette-it", "team/\(key)", bytes)
        }
    }

    @Test("push and pull targets mean what run's do: a stage brings what it is built from; an unknown one is refused")
    func targets() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-remote-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let workspace = try await Self.trained(remote: "remote: \(folder.path)\n")
        let lock = try workspace.read("workflows/shop.lock")
        func recordKey(_ stage: String) throws -> String {
            let block = try #require(lock.components(separatedBy: "\"shop/tone-b/\(stage)\":").last)
            let key = try #require(block.components(separatedBy: "key: \"sha256:").dropFirst().first?.prefix(64))
            return "actions/\(key.prefix(2))/\(key).json"
        }
        let split = try await SpawnedLunette.run(["push", "--dry-run", "--json", "shop/tone-b/split"], in: workspace, extra: Self.credentials)
        #expect(split.status == 0, "\(split.error)")
        let keys = try #require(try JSONValue.parse(split.output)["uploaded"]?.arrayValue).compactMap(\.stringValue)
        let (splitKey, loadKey, trainKey) = (try recordKey("split"), try recordKey("load"), try recordKey("train"))
        #expect(keys.contains(splitKey) && keys.contains(loadKey))
        #expect(!keys.contains(trainKey))
        let unknown = try await SpawnedLunette.run(["pull", "shop/tone-c"], in: workspace, extra: Self.credentials)
        #expect(unknown.status == 2)
        #expect(unknown.error.contains("unknown target 'shop/tone-c'"))
    }

    @Test("lunette.yaml refuses a literal key, with its line, and an unknown scheme")
    func settings() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try workspace.write("remote:\n  url: s3://b/p\n  secret_access_key: abc123\n", to: "lunette.yaml")
        let push = try await SpawnedLunette.run(["push"], in: workspace, extra: Self.credentials)
        #expect(push.status == 2)
        #expect(push.error.contains("lunette.yaml:3:3: error: credentials never go in lunette.yaml"))
        #expect(!push.error.contains("abc123"))
        try workspace.write("remote: ftp://host/x\n", to: "lunette.yaml")
        let scheme = try await SpawnedLunette.run(["pull"], in: workspace, extra: Self.credentials)
        #expect(scheme.status == 1)
        #expect(scheme.error.contains("unknown scheme"))
        try FileManager.default.removeItem(at: workspace.root.appendingPathComponent("lunette.yaml"))
        let none = try await SpawnedLunette.run(["push"], in: workspace, extra: Self.credentials)
        #expect(none.status == 1)
        #expect(none.error.contains("no remote cache is declared"))
    }
}

/// moto's S3-compatible server on a free loopback port, for as long as a test needs it.
final class MotoServer: @unchecked Sendable {
    let process: Process
    let port: Int
    var endpoint: String { "http://127.0.0.1:\(port)" }

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    /// Starts `moto_server` (`$LUNETTE_MOTO_SERVER`, else on PATH); `nil` when it is not installed.
    ///
    /// The port is one the kernel just handed out as free (bound to port 0, then released), not a random
    /// pick: during the suite hundreds of loopback connections hold ephemeral ports, and a server that
    /// cannot bind exits at once. One that exits before answering is started again on a new port (3 tries).
    static func start() throws -> MotoServer? {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [environment["LUNETTE_MOTO_SERVER"]].compactMap { $0 }
            + (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/moto_server" }
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        var tried: [Int] = []
        for _ in 0..<3 {
            let port = try freePort()
            tried.append(port)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let server = MotoServer(process: process, port: port)
            // A bound on a hang, not a timing claim: moto (Python) starts in seconds, but the whole suite
            // on 2 cores has delayed it past 30 s.
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline, process.isRunning {
                if (try? server.curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", server.endpoint + "/"])) == "200" { return server }
                usleep(200_000)
            }
            if process.isRunning {
                server.stop()
                throw MotoError(message: "moto_server did not answer on \(server.endpoint) within 120 s")
            }
        }
        throw MotoError(message: "moto_server exited before answering, on ports \(tried)")
    }

    /// A loopback port the kernel reports free right now.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw MotoError(message: "socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw MotoError(message: "cannot bind a loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Stops the server: moto's werkzeug ignores SIGTERM, so SIGINT, then SIGKILL after 5 s.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(100_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func createBucket(_ bucket: String) throws {
        _ = try curl(["-sf", "-X", "PUT", "\(endpoint)/\(bucket)"])
    }

    /// Overwrites an object with a signed PUT: the test's "someone else wrote bad bytes".
    func put(_ bucket: String, _ key: String, _ data: Data) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("moto-put-\(UUID().uuidString)")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let remote = S3Remote(
            bucket: bucket, prefix: "", endpoint: URL(string: endpoint)!, region: "us-east-1", pathStyle: true,
            credentials: AWSCredentials(accessKeyID: "testing-key", secretAccessKey: Secret(RemoteCacheEndToEndTests.secret)))
        do {
            try await remote.upload(file, as: key, sha256: nil)
            await remote.shutDown()
        } catch {
            await remote.shutDown()
            throw error
        }
    }

    func curl(_ arguments: [String]) throws -> String {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        curl.arguments = ["curl"] + arguments
        let out = Pipe()
        curl.standardOutput = out
        curl.standardError = FileHandle.nullDevice
        try curl.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        guard curl.terminationStatus == 0 else { throw MotoError(message: "curl \(arguments.joined(separator: " ")) failed") }
        return String(decoding: data, as: UTF8.self)
    }

    struct MotoError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
