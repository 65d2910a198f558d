import Basics
import WorkflowModel

extension SettingsSchema {
    /// Checks a stage's settings the way the manifest reader did at load time, and throws the first
    /// problem as the stage's error: `split.seed_fraction: seed_fraction must be …`, with the schema's
    /// hint or a pointer to `lunette check` as the remedy. A stage calls it before it reads its params,
    /// so a manifest written by hand around `lunette check` (or a library caller) meets the same rule in
    /// the same words.
    /// - Parameters:
    ///   - params: The stage's params; the section's keys are read from them (``settings(in:)``).
    ///   - labels: The metric's labels, for per-label settings.
    ///   - stage: A prefix for the message (the stage id), or nil.
    /// - Throws: ``TaskError`` with code `invalidInput`.
    public func checkStage(_ params: [String: JSONValue], labels: [String]? = nil, stage: String? = nil) throws {
        guard let issue = check(settings(in: params), labels: labels).first else { return }
        throw stageError(issue, stage: stage)
    }

    /// The stage's error for `issue` (see ``checkStage(_:labels:stage:)``).
    public func stageError(_ issue: Issue, stage: String? = nil) -> TaskError {
        let keyPath = issue.keyPath(in: section)
        // A rule's message names its keys itself ("seeds: 3 needs mode full or auto"): prefix the section only.
        let text = issue.isRule ? "\(section).\(issue.message)" : "\(keyPath): \(issue.message)"
        return TaskError(
            (stage.map { "\($0): " } ?? "") + text,
            remedy: issue.hint ?? "fix \(keyPath) in the run's manifest (`lunette check` shows its line)",
            code: .invalidInput)
    }
}
