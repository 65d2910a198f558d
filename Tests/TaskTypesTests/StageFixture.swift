import Basics
import Foundation
import TaskInterface
import WorkflowModel

/// A temporary workspace for running one task type in a test, removed by ``remove()``.
struct StageFixture {
    let root: URL
    let reporter = RecordingReporter()

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-tasks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// The URL of a workspace-relative path.
    func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    /// Writes text (as UTF-8) to a workspace-relative path.
    @discardableResult
    func write(_ text: String, to path: String) throws -> URL {
        try write(Array(text.utf8), to: path)
    }

    /// Writes bytes to a workspace-relative path.
    @discardableResult
    func write(_ bytes: [UInt8], to path: String) throws -> URL {
        let url = self.url(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url
    }

    /// A file's text.
    func read(_ path: String) throws -> String {
        try String(contentsOf: url(path), encoding: .utf8)
    }

    /// A context for a stage in this workspace; outputs are workspace-relative paths.
    func context(
        stage: String = "demo/run/stage", params: [String: JSONValue] = [:], inputs: [String: URL] = [:],
        outputs: [String: String] = [:], environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> StageContext {
        let scratch = root.appendingPathComponent(".scratch")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        return StageContext(
            stageID: StageID(stage) ?? StageID(project: "demo", run: "run", stage: "stage"), params: params,
            inputs: inputs, outputs: outputs.mapValues(url), workingDirectory: root, scratchDirectory: scratch,
            modelsDirectory: root.appendingPathComponent("models"), environment: environment, reporter: reporter)
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }
}

/// A reporter that keeps what it is told.
final class RecordingReporter: StageReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var storedLogs: [String] = []
    private var storedWarnings: [String] = []

    var logs: [String] { lock.withLock { storedLogs } }
    var warnings: [String] { lock.withLock { storedWarnings } }

    func log(_ line: String) { lock.withLock { storedLogs.append(line) } }
    func warning(_ message: String) { lock.withLock { storedWarnings.append(message) } }
    func progress(completed: Int, total: Int, label: String) {}
}

/// The test target's fixture folder.
enum Fixtures {
    static func url(_ name: String) throws -> URL {
        guard let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw TaskError("the test bundle has no Fixtures folder")
        }
        return folder.appendingPathComponent(name)
    }
}
