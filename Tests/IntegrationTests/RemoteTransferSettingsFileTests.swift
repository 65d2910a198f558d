import Basics
import Foundation
import Testing
@testable import RemoteCache
@testable import Workspace
import _TestSupport

/// The transfer settings under `remote:` in lunette.yaml reach the S3 client (its wait, its retries,
/// its parts) and the workspace's bound on transfers at once; the `LUNETTE_REMOTE_*` variables
/// override them key by key; a value out of range stops the command with the file's location.
@Suite("Remote transfer settings from lunette.yaml")
struct RemoteTransferSettingsFileTests {
    static let file = """
        remote:
          url: s3://team/lunette
          endpoint: http://127.0.0.1:9
          timeout: 7.5
          retries: 2
          retry_delay: 0.05
          jobs: 3
          multipart_threshold: 10485760
          part_size: 6291456

        """

    static func workspace(_ settings: String, environment extra: [String: String] = [:]) throws -> (CaseWorkspace, Workspace) {
        let folder = try CaseWorkspace("incremental", project: "shop")
        try folder.write(settings, to: "lunette.yaml")
        let environment = folder.environment.merging(RemoteCacheEndToEndTests.credentials) { _, new in new }.merging(extra) { _, new in new }
        return (folder, Workspace(root: folder.root, registry: folder.workspace().registry, environment: environment))
    }

    /// The S3 client a workspace opens, closed after `body`.
    static func withClient(_ workspace: Workspace, _ body: (S3Remote) throws -> Void) async throws {
        let (remote, _) = try workspace.openRemote()
        do {
            try body(try #require(remote as? S3Remote))
            await remote.shutDown()
        } catch {
            await remote.shutDown()
            throw error
        }
    }

    @Test("the file's values reach the S3 client and the transfers' bound")
    func fileValues() async throws {
        let (folder, workspace) = try Self.workspace(Self.file)
        defer { withExtendedLifetime(folder) {} }  // its deinit deletes the files
        try await Self.withClient(workspace) { client in
            #expect(client.timeout == .milliseconds(7500))
            #expect(client.retry.maxAttempts == 3)
            #expect(client.retry.baseDelay == .milliseconds(50))
            #expect(client.multipartThreshold == 10 << 20)
            #expect(client.partSize == 6 << 20)
        }
        #expect(workspace.remoteJobs() == 3)
        // Without the keys: the defaults.
        let (plainFolder, plain) = try Self.workspace("remote:\n  url: s3://team/lunette\n  endpoint: http://127.0.0.1:9\n")
        defer { withExtendedLifetime(plainFolder) {} }
        try await Self.withClient(plain) { client in
            #expect(client.timeout == .seconds(60) && client.retry.maxAttempts == 5 && client.partSize == 16 << 20)
        }
        #expect(plain.remoteJobs() == 8)
    }

    @Test("each LUNETTE_REMOTE_* variable overrides its key; the others stay the file's")
    func environmentOverrides() async throws {
        let (folder, workspace) = try Self.workspace(
            Self.file, environment: ["LUNETTE_REMOTE_TIMEOUT": "2", "LUNETTE_REMOTE_JOBS": "5", "LUNETTE_REMOTE_PART_SIZE": "7340032"])
        defer { withExtendedLifetime(folder) {} }  // its deinit deletes the files
        try await Self.withClient(workspace) { client in
            #expect(client.timeout == .seconds(2))
            #expect(client.retry.maxAttempts == 3)  // the file's retries: 2
            #expect(client.partSize == 7 << 20)
            #expect(client.multipartThreshold == 10 << 20)
        }
        #expect(workspace.remoteJobs() == 5)
        // A variable out of range is refused, naming it, even for a shared folder (whose only setting is jobs).
        let (shared, onFolder) = try Self.workspace("remote:\n  url: /tmp/lunette-remote-unused\n  jobs: 4\n", environment: ["LUNETTE_REMOTE_JOBS": "100"])
        defer { withExtendedLifetime(shared) {} }
        let error = try #require(throws: WorkspaceError.self) { try onFolder.openRemote() }
        #expect(error.message == "LUNETTE_REMOTE_JOBS=100 is not a number of transfers at once")
        #expect(error.remedy == "set it to a number from 1 to 64 (a whole number), or unset it for the default (or remote.jobs in lunette.yaml)")
    }

    @Test("a value out of range in lunette.yaml stops push with its location, key path and remedy (exit 2)")
    func locatedOnTheCommandLine() async throws {
        let (folder, _) = try Self.workspace("remote:\n  url: s3://team/lunette\n  retries: 50\n")
        let push = try await SpawnedLunette.run(["push"], in: folder, extra: RemoteCacheEndToEndTests.credentials)
        #expect(push.status == 2, "\(push.output)\(push.error)")
        #expect(push.error.contains("""
            lunette.yaml:3:12: error: expected a number of retries from 0 to 20 (a whole number), not '50' (remote.retries)
             3 |   retries: 50
               |            ^
            note: write a plain number from 0 to 20 (a whole number), or leave `retries` out for the default (LUNETTE_REMOTE_RETRIES overrides it)
            """), "\(push.error)")
    }
}
