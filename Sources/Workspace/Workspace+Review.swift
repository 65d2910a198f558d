import Basics
import ContentCache
import Foundation
import Planning
import WorkflowModel

extension Workspace {
    /// `workflows/<project>.feedback.json`: reviewers' feedback on generated rows, per run, committed
    /// beside the lock. It enters each generate stage's parameters (`feedback`), so adding some
    /// regenerates that run's rows with the feedback in every prompt.
    func feedbackPath(_ project: Project) -> URL {
        let base = project.lockPath.hasSuffix(".lock") ? String(project.lockPath.dropLast(5)) : project.lockPath
        return root.appendingPathComponent(base + ".feedback.json")
    }

    /// Feedback by run name.
    func feedback(for project: Project) -> [String: [String]] {
        guard let data = FileManager.default.contents(atPath: feedbackPath(project).path),
            let runs = (try? JSONValue.parse(data))?["runs"]?.objectValue
        else { return [:] }
        return runs.compactMapValues { $0.arrayValue?.compactMap(\.stringValue) }
    }

    /// Puts each run's feedback into its generate settings.
    func applyingFeedback(_ projects: [Project]) -> [Project] {
        projects.map { project in
            let feedback = self.feedback(for: project)
            guard !feedback.isEmpty else { return project }
            var project = project
            project.runs = project.runs.map { run in
                guard case .generate(var settings) = run.trainingSet, let notes = feedback[run.name], !notes.isEmpty else {
                    return run
                }
                var run = run
                settings["feedback"] = .string(notes.joined(separator: "; "))
                run.trainingSet = .generate(settings)
                return run
            }
            return project
        }
    }

    /// The review sample of a run's generated rows (one JSON object per row) and its feedback so far.
    public func reviewSample(run name: String) throws -> (rows: [JSONValue], feedback: [String]) {
        let details = try show(run: name)
        guard case .generate = details.run.trainingSet else {
            throw WorkspaceError(
                .unknownRun, "\(details.project.name)/\(details.run.name) does not generate its training set",
                remedy: "review applies to runs with training_set: {generate: …}")
        }
        guard let stage = details.stages.first(where: { $0.planned.id.stage == "generate" }),
            let review = stage.planned.knownOutputs?["review"]
        else {
            throw WorkspaceError(
                .unknownRun, "\(details.project.name)/\(details.run.name) has no generated rows yet",
                remedy: "run it first: lunette run \(details.project.name)/\(details.run.name)/generate")
        }
        let cache = try openCache()
        let text = try String(contentsOf: cache.objectURL(review.digest), encoding: .utf8)
        let rows = text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        return (rows, feedback(for: details.project)[details.run.name] ?? [])
    }

    /// Records a reviewer's rejection of a run's generated rows; the next run regenerates them with
    /// the feedback in every prompt.
    /// - Returns: the `project/run` path.
    public func addFeedback(run name: String, _ text: String) throws -> String {
        let details = try show(run: name)
        let path = feedbackPath(details.project)
        var runs = (try? JSONValue.parse(Data(contentsOf: path)))?["runs"]?.objectValue ?? [:]
        var notes = runs[details.run.name]?.arrayValue ?? []
        if !notes.contains(.string(text)) { notes.append(.string(text)) }
        runs[details.run.name] = .array(notes)
        let value = JSONValue.object(["runs": .object(runs)])
        try AtomicFile.write(Data((value.canonicalText + "\n").utf8), to: path.path)
        return "\(details.project.name)/\(details.run.name)"
    }
}
