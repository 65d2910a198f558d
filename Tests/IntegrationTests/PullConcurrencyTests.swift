import Basics
import ContentCache
import Foundation
import RemoteCache
import Synchronization
import Testing
@testable import Workspace

/// `lunette pull` works on several stages at once, with at most `jobs` transfers in flight across all
/// of them, and fetches an object two stages name once.
@Suite("Pull: stages at once, transfers bounded, each object once")
struct PullConcurrencyTests {
    /// A shared folder that counts downloads, in flight and per key, each taking a little while.
    final class CountingRemote: RemoteStore, @unchecked Sendable {
        let base: FolderRemote
        let state = Mutex((running: 0, peak: 0, downloads: [String: Int]()))

        init(_ base: FolderRemote) {
            self.base = base
        }

        var description: String { base.description }
        func exists(_ key: String) async throws -> Bool { try await base.exists(key) }
        func upload(_ source: URL, as key: String, sha256: String?) async throws { try await base.upload(source, as: key, sha256: sha256) }
        func shutDown() async {}

        func download(_ key: String, to destination: URL) async throws -> Bool {
            state.withLock {
                $0.running += 1
                $0.peak = max($0.peak, $0.running)
                $0.downloads[key, default: 0] += 1
            }
            defer { state.withLock { $0.running -= 1 } }
            // Long enough that three are surely in flight together even on a loaded machine (30 ms was not).
            try await Task.sleep(for: .milliseconds(250))
            return try await base.download(key, to: destination)
        }
    }

    @Test("twelve one-object stages with jobs 3: three downloads in flight at once, never more; a shared object fetched once")
    func boundedAcrossStages() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-pull-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Eleven objects on the remote; stages 0 and 1 both name the first.
        var outputs: [RemoteItem.Output] = []
        for number in 0..<11 {
            let data = Data("object \(number)\n".utf8)
            let digest = ContentHash.of(data)
            let file = folder.appendingPathComponent(Workspace.objectKey(digest))
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: file)
            outputs.append(RemoteItem.Output(digest: digest, size: Int64(data.count), isDirectory: false))
        }
        let items = ([outputs[0]] + outputs).enumerated().map { index, output in
            RemoteItem(name: "stage-\(index)", actionKey: nil, outputs: [output])
        }
        let clone = try CaseWorkspace("incremental", project: "shop")
        let workspace = Workspace(
            root: clone.root, registry: clone.workspace().registry, environment: clone.environment.merging(["LUNETTE_REMOTE_JOBS": "3"]) { _, new in new })
        let remote = CountingRemote(FolderRemote(root: folder))
        let transfer = try await workspace.pull(from: remote, location: .folder(folder), items: items, progress: .silent)

        let state = remote.state.withLock { $0 }
        #expect(state.peak == 3, "peak \(state.peak)")  // one stage at a time would be 1
        #expect(state.running == 0)
        #expect(state.downloads.count == 11 && state.downloads.values.allSatisfy { $0 == 1 }, "\(state.downloads)")
        #expect(transfer.downloaded.count == 11 && Set(transfer.downloaded).count == 11)
        #expect(transfer.missingRemotely.isEmpty && transfer.corrupt.isEmpty)
        #expect(transfer.bytes == outputs.reduce(0) { $0 + ($1.size ?? 0) })
        let cache = try workspace.openCache()
        for output in outputs { #expect(cache.hasObject(ArtifactRef(digest: output.digest, size: output.size ?? 0, kind: .file))) }
        withExtendedLifetime(clone) {}
    }
}
