import Foundation
import Testing
import _TestSupport

/// `lunette run` against a remote cache that hangs: the first request that times out (after its
/// retries) takes the remote out of the run, with one warning naming it, the error and the remedy;
/// every later stage runs here without asking it again, and with `--push` the stages that were not
/// uploaded are named at the end. So a dead remote costs one wait (timeout × attempts), not one per
/// stage. Skipped, saying so, without moto_server.
@Suite("Remote cache: a dead remote during a run", .serialized)
struct RemoteCacheDeadRemoteTests {
    /// Each request waits 1 s for a byte, and is tried twice: one wait is about 2 s.
    static let hang = ["LUNETTE_REMOTE_RETRIES": "1", "LUNETTE_REMOTE_TIMEOUT": "1", "LUNETTE_REMOTE_RETRY_DELAY": "0.01"]
    static let chain = ["shop/tone-b/load", "shop/tone-b/s1", "shop/tone-b/s2", "shop/tone-b/s3", "shop/tone-b/s4"]

    /// `shop/tone-b`'s load, then four shell stages in a chain (so the stages run one at a time).
    static func chainWorkspace(endpoint: String) throws -> CaseWorkspace {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        var manifest = try workspace.read("workflows/shop.yaml") + "    stages:\n"
        for number in 1...4 {
            manifest += "      s\(number):\n        after: \(number == 1 ? "load" : "s\(number - 1)")\n"
                + "        command: echo \(number) > ../out/s\(number).txt\n        outputs: [../out/s\(number).txt]\n"
        }
        try workspace.write(manifest, to: "workflows/shop.yaml")
        try workspace.write(RemoteCacheFaultTests.settings(endpoint: endpoint), to: "lunette.yaml")
        return workspace
    }

    static var environment: [String: String] { RemoteCacheEndToEndTests.credentials.merging(hang) { _, new in new } }

    @Test("run --push over five stages against a hanging remote: one wait, one warning, the stages not pushed named")
    func writeThroughWaitsOnce() async throws {
        try await RemoteCacheFaultTests.withServers { moto, proxy in
            let workspace = try Self.chainWorkspace(endpoint: proxy.endpoint)
            proxy.inject(.hang, times: 1000)
            let started = Date()
            let run = try await SpawnedLunette.run(["run", "--push", "shop/tone-b/s4"], in: workspace, extra: Self.environment)
            let seconds = Date().timeIntervalSince(started)
            #expect(run.status == 0, "\(run.output)\(run.error)")
            #expect(run.output.contains("5 ran, 0 reused, 0 failed"), "\(run.output)")
            // The first stage's lookup, tried twice; nothing after it asked the remote (before, each
            // stage's upload and the final push waited again: 7 waits).
            // (On a loaded machine an attempt can time out before the proxy has read its request, even
            // both of them: at most 2, and the warning below says both attempts were made.)
            #expect(proxy.log.count <= 2, "\(proxy.log.map { "\($0.method) \($0.uri)" })")
            // The request count above is the check; this only bounds a hang (a loaded machine took 40 s).
            #expect(seconds < 120, "the run took \(seconds) s")
            // One warning, naming the remote, the error and the remedies.
            let warning = "warning: the remote cache s3://\(RemoteCacheFaultTests.bucket)/team failed, so this run goes on without it"
            #expect(run.error.components(separatedBy: warning).count == 2, "\(run.error)")
            #expect(run.error.contains("(stages run here and are not pushed): cannot download actions/"), "\(run.error)")
            #expect(run.error.contains("the server sent nothing for 1 s (2 attempts)"), "\(run.error)")
            #expect(run.error.contains("note: check the remote's endpoint (\(proxy.endpoint))"), "\(run.error)")
            #expect(run.error.contains("set LUNETTE_REMOTE=off"), "\(run.error)")
            #expect(run.error.contains("`lunette push` uploads what this run made once the remote answers"), "\(run.error)")
            // The finished stages that were not uploaded, by name.
            #expect(run.error.contains("warning: not pushed to the remote cache s3://\(RemoteCacheFaultTests.bucket)/team (5 stages): "
                + Self.chain.joined(separator: ", ")), "\(run.error)")
            #expect(!run.error.contains("could not push"), "\(run.error)")
            #expect(try moto.keys(RemoteCacheFaultTests.bucket, prefix: "").isEmpty)
            #expect(!run.error.contains(RemoteCacheEndToEndTests.secret) && !run.output.contains(RemoteCacheEndToEndTests.secret))
        }
    }

    @Test("run --push with an S3 remote and no credentials: one warning with the remedy, every stage runs, none pushed")
    func noCredentials() async throws {
        let workspace = try Self.chainWorkspace(endpoint: "http://127.0.0.1:9")
        let none = ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "", "AWS_SESSION_TOKEN": "",
                    "AWS_SHARED_CREDENTIALS_FILE": workspace.root.appendingPathComponent("no-credentials").path]
        let run = try await SpawnedLunette.run(["run", "--push", "shop/tone-b/s4"], in: workspace, extra: Self.hang.merging(none) { _, new in new })
        #expect(run.status == 0, "\(run.output)\(run.error)")
        #expect(run.output.contains("5 ran, 0 reused, 0 failed"), "\(run.output)")
        let warning = "warning: the remote cache s3://\(RemoteCacheFaultTests.bucket)/team failed, so this run goes on without it"
        #expect(run.error.components(separatedBy: warning).count == 2, "\(run.error)")
        #expect(run.error.contains("AWS_ACCESS_KEY_ID"), "\(run.error)")
        #expect(run.error.contains("warning: not pushed to the remote cache s3://\(RemoteCacheFaultTests.bucket)/team (5 stages)"), "\(run.error)")
    }

    @Test("run in a clone whose cache is empty, against a hanging remote: the read-through waits once and every stage runs here")
    func readThroughWaitsOnce() async throws {
        try await RemoteCacheFaultTests.withServers { moto, proxy in
            let workspace = try Self.chainWorkspace(endpoint: moto.endpoint)
            let first = try await SpawnedLunette.run(["run", "shop/tone-b/s4"], in: workspace, extra: Self.environment)
            #expect(first.status == 0, "\(first.output)\(first.error)")
            // A clone with the lock and nothing in its cache: every stage would be looked up.
            let clone = try Self.chainWorkspace(endpoint: proxy.endpoint)
            try clone.write(try workspace.read("workflows/shop.lock"), to: "workflows/shop.lock")
            proxy.inject(.hang, times: 1000)
            let started = Date()
            let run = try await SpawnedLunette.run(["run", "shop/tone-b/s4"], in: clone, extra: Self.environment)
            let seconds = Date().timeIntervalSince(started)
            #expect(run.status == 0, "\(run.output)\(run.error)")
            #expect(run.output.contains("5 ran, 0 reused, 0 failed"), "\(run.output)")
            // The pull before planning asks for several stages at once (at most 8 requests in flight,
            // each tried twice), and fails once; no stage asks again.
            #expect(proxy.log.count <= 16, "\(proxy.log.map { "\($0.method) \($0.uri)" })")
            // The request count above is the check; this only bounds a hang (a loaded machine took 40 s).
            #expect(seconds < 120, "the run took \(seconds) s")
            let warning = "warning: the remote cache s3://\(RemoteCacheFaultTests.bucket)/team failed, so this run goes on without it (stages run here)"
            #expect(run.error.components(separatedBy: warning).count == 2, "\(run.error)")
            #expect(run.error.contains("the server sent nothing for 1 s (2 attempts)"), "\(run.error)")
            #expect(!run.error.contains("not pushed"), "\(run.error)")
            #expect(try clone.read("workflows/shop.lock") == workspace.read("workflows/shop.lock"))
        }
    }
}
