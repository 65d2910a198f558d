import Basics
import ContentCache
import Execution
import Foundation
import Planning
import TaskInterface
import WorkflowModel

extension Workspace {
    /// Re-executes the selected stages in a scratch folder, bypassing the cache, and compares every
    /// output digest with the recorded one: the reproducibility check.
    ///
    /// Each stage runs from its *recorded* inputs (upstream outputs from the cache, input files
    /// copied into the scratch folder at their workspace paths), so a stage is judged on its own.
    /// Stages whose task type says it is not deterministic (an LLM call) are skipped with a note;
    /// stale stages (not run since their inputs changed) are skipped too.
    ///
    /// Reads through: with a remote cache declared, what the selected locks reference and this cache
    /// lacks is pulled first (as `lunette run` does), so a stage only the remote has is verified, not
    /// skipped; `notes` hears what was pulled, and a remote that cannot be read is a warning.
    public func verify(
        targets: [String] = [], observer: any ExecutionObserver = SilentObserver(), notes: (Diagnostic) -> Void = { _ in }
    ) async throws -> [VerifyOutcome] {
        let (projects, _) = try loadProjects()
        let lock = try acquireLock(command: "lunette verify", wait: true, onWait: { _ in })
        defer { lock.unlock() }
        let cacheLock = try acquireCacheLock(exclusive: false, command: "lunette verify", onWait: { _ in })
        defer { cacheLock?.unlock() }
        let store = try openStore()
        try syncRegistry(store)  // a clone's store learns the committed registrations (register's cached result holds)
        let cache = try openCache()
        for note in await readThrough(targets: targets) { notes(note) }
        let plan = try makePlan(projects: projects, targets: targets, force: false, trustLock: false, store: store, cache: cache)
        let runner = makeRunner(cache: cache, store: store)
        var results: [VerifyOutcome] = []
        for stage in plan.stages {
            try Task.checkCancellation()
            guard let task = registry.taskType(id: stage.task) else {
                results.append(VerifyOutcome(id: stage.id, verdict: .skipped("task type '\(stage.task)' not available")))
                continue
            }
            guard stage.action == .skip, let recorded = stage.knownOutputs else {
                results.append(VerifyOutcome(id: stage.id, verdict: .skipped("not up to date (\(stage.reason.text)); run `lunette run` first")))
                continue
            }
            guard task.isDeterministic else {
                results.append(VerifyOutcome(id: stage.id, verdict: .skipped("task type '\(task.id)' is not deterministic")))
                continue
            }
            let scratch = cacheDirectory.appendingPathComponent("tmp/verify-\(UUID().uuidString.lowercased())")
            defer { try? FileManager.default.removeItem(at: scratch) }
            var inputs: [String: StageRunner.ResolvedInput] = [:]
            // The digests a run hands the task (evaluate records them in its report).
            var digests = stage.inputDigests
            for (name, source) in stage.blueprint.inputs {
                switch source {
                case .file(let path):
                    let destination = scratch.appendingPathComponent(path)
                    try FileManager.default.createDirectoryIfNeeded(atPath: destination.deletingLastPathComponent().path)
                    try FileManager.default.copyItem(at: root.appendingPathComponent(path), to: destination)
                    inputs[name] = .path(path)
                case .baseModel(let model):
                    inputs[name] = .baseModel(model)
                case .stage(let producer, let output):
                    guard let ref = plan.stage(producer)?.knownOutputs?[output] else { continue }
                    inputs[name] = .artifact(ref.artifactRef)
                    digests[name] = ref.digest
                    // An exec output also lives at its workspace path, where commands read it.
                    if let path = plan.stage(producer)?.blueprint.outputs[output] ?? nil {
                        let destination = scratch.appendingPathComponent(path)
                        try FileManager.default.createDirectoryIfNeeded(atPath: destination.deletingLastPathComponent().path)
                        try cache.materialize(ref.artifactRef, at: destination)
                    }
                }
            }
            if let directory = stage.blueprint.params["directory"]?.stringValue {
                try FileManager.default.createDirectoryIfNeeded(atPath: scratch.appendingPathComponent(directory).path)
            }
            for path in stage.blueprint.outputs.values.compactMap({ $0 }) {
                try FileManager.default.createDirectoryIfNeeded(
                    atPath: scratch.appendingPathComponent(path).deletingLastPathComponent().path)
            }
            observer.handle(.started(stage.id, task: task.id, reason: "verifying"))
            do {
                let (_, outputs, _) = try await runner.run(
                    task, blueprint: stage.blueprint, inputs: inputs, workingDirectory: scratch, reporter: SilentReporter(),
                    inputDigests: digests)
                var verdict = VerifyOutcome.Verdict.matched
                for name in recorded.keys.sorted() {
                    let actual = outputs[name]?.digest
                    if actual != recorded[name]?.digest {
                        verdict = .differs(output: name, expected: recorded[name]?.digest, actual: actual)
                        break
                    }
                }
                results.append(VerifyOutcome(id: stage.id, verdict: verdict))
            } catch {
                results.append(VerifyOutcome(id: stage.id, verdict: .failed(String(describing: error))))
            }
        }
        return results
    }
}

/// One stage's result under `lunette verify`.
public struct VerifyOutcome: Sendable, Hashable {
    public enum Verdict: Sendable, Hashable {
        /// Every output came out byte-identical.
        case matched
        /// The first output whose digest differs.
        case differs(output: String, expected: ContentHash?, actual: ContentHash?)
        /// Not re-executed, and why.
        case skipped(String)
        /// The re-execution failed.
        case failed(String)
    }

    public var id: StageID
    public var verdict: Verdict
}
