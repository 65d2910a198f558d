import Basics
import Foundation
import Hummingbird
import RunStore
import Scoring
import WorkflowModel
import Workspace

/// The read-only dashboard: projects, a project's runs, a run's details and report, the registry.
///
/// Every page is rendered on the server from the workspace as it is now, with all text escaped,
/// no script and no external asset.
struct Dashboard: Sendable {
    let workspace: Workspace

    /// `/`: every project with its run counts by status.
    func projects() throws -> Response {
        let (projects, _) = try workspace.loadProjects()
        let statuses = try workspace.statuses()
        let rows = projects.sorted { $0.name < $1.name }.map { project -> [String] in
            let runs = statuses.filter { $0.project == project.name }
            let counts = Dictionary(grouping: runs, by: \.status).sorted { $0.key.rawValue < $1.key.rawValue }
            return [
                "<a href=\"/projects/\(HTML.component(project.name))\">\(HTML.escape(project.name))</a>",
                HTML.escape(project.description ?? ""), "\(project.runs.count)",
                counts.map { "\(HTML.statusPill($0.key)) \($0.value.count)" }.joined(separator: " "),
            ]
        }
        return JSONResponse.html(
            HTML.page(
                title: "Projects",
                body: HTML.table(["Project", "Description", "Runs", "Status"], rows,
                                 empty: "No projects yet: add a manifest under workflows/.")))
    }

    /// `/projects/{project}?status=&metric=`: the runs table.
    func project(_ name: String, status: String?, metric: String?) throws -> Response {
        let (projects, _) = try workspace.loadProjects()
        guard let project = projects.first(where: { $0.name == name }) else {
            return notFound("No project named ‘\(name)’.", hint: Suggestion.hint(for: name, in: projects.map(\.name)))
        }
        let statuses = Dictionary(
            try workspace.statuses().filter { $0.project == name }.map { ($0.run, $0) }, uniquingKeysWith: { a, _ in a })
        let scores = try headlineScores()
        let status = status.flatMap { $0.isEmpty ? nil : $0 }
        let metric = metric.flatMap { $0.isEmpty ? nil : $0 }
        let runs = project.runs.sorted { $0.name < $1.name }.filter { run in
            (status == nil || statuses[run.name]?.status.rawValue == status) && (metric == nil || run.metric.name == metric)
        }
        let rows = runs.map { run -> [String] in
            let view = statuses[run.name]
            return [
                "<a href=\"/runs/\(HTML.component(name))/\(HTML.component(run.name))\">\(HTML.escape(run.name))</a>",
                HTML.escape(run.metric.name), HTML.escape(Self.describe(run.trainingSet)), HTML.escape(run.testSet.path),
                HTML.statusPill(view?.status ?? .queued), HTML.scorePill(scores["\(name)/\(run.name)"]),
                HTML.escape(HTML.date(view?.updatedAt)),
            ]
        }
        let allStatuses = Set(statuses.values.map(\.status.rawValue)).union(status.map { [$0] } ?? []).sorted()
        let metrics = Set(project.runs.map(\.metric.name)).sorted()
        func options(_ values: [String], selected: String?) -> String {
            (["<option value=\"\">all</option>"] + values.map {
                "<option value=\"\(HTML.escape($0))\"\($0 == selected ? " selected" : "")>\(HTML.escape($0))</option>"
            }).joined()
        }
        let form = """
            <form method="get"><label>Status <select name="status">\(options(allStatuses, selected: status))</select></label>
            <label>Metric <select name="metric">\(options(metrics, selected: metric))</select></label>
            <button type="submit">Filter</button></form>
            """
        let description = project.description.map { "<p>\(HTML.escape($0))</p>" } ?? ""
        return JSONResponse.html(
            HTML.page(
                title: "Project \(name)",
                body: description + form
                    + HTML.table(["Run", "Metric", "Training set", "Test set", "Status", "Macro F1", "Updated"], rows,
                                 empty: "No runs match these filters.")))
    }

    /// `/runs/{project}/{run}`: inputs, stages with reasons and durations, failure reason, report link.
    func run(project: String, run name: String) throws -> Response {
        let details: RunDetails
        do {
            details = try workspace.show(run: "\(project)/\(name)")
        } catch let error as WorkspaceError where error.code == .unknownRun {
            return notFound(error.message, hint: error.remedy)
        }
        let run = details.run
        let score = try headlineScores()["\(project)/\(name)"]
        var body = "<dl>"
        let facts: [(String, String)] = [
            ("Status", HTML.statusPill(details.status)), ("Macro F1", HTML.scorePill(score)),
            ("Metric", HTML.escape("\(run.metric.name) (\(run.metric.output.rawValue), input \(run.metric.input.rawValue))")),
            ("Labels", HTML.escape(run.metric.labels.joined(separator: ", "))),
            ("Training set", HTML.escape(Self.describe(run.trainingSet))), ("Test set", HTML.escape(run.testSet.path)),
            ("Base model", HTML.escape(run.baseModel)), ("Seed", "\(run.seed)"),
        ]
        for (term, value) in facts { body += "<dt>\(HTML.escape(term))</dt><dd>\(value)</dd>" }
        body += "</dl>"
        if details.status == .failed || details.status == .cancelled, let reason = details.statusReason {
            body += "<h2>Failure</h2><p class=\"error\">\(HTML.escape(reason))</p>"
        }
        body += "<h2>Stages</h2>"
        body += HTML.table(
            ["Stage", "Task", "Plan", "Last outcome", "Duration", "Detail"],
            details.stages.map { stage in
                let last = stage.lastExecution
                let detail = last?.error ?? last?.summary ?? ""
                return [
                    HTML.escape(stage.planned.id.stage), HTML.escape(stage.planned.task),
                    HTML.escape(stage.planned.action == .skip ? "up to date" : "will run: \(stage.planned.reason.text)"),
                    HTML.escape(last?.outcome ?? "never ran"),
                    HTML.escape(last?.duration.map { String(format: "%.2f s", $0) } ?? "—"), HTML.escape(detail),
                ]
            }, empty: "This run has no stages.")
        let hasReport = details.stages.contains { $0.planned.id.stage == "evaluate" && $0.planned.knownOutputs?["report"] != nil }
        body += "<h2>Report</h2>"
        if hasReport, let report = try? evaluationReport(project: project, run: name) {
            body += "<p><a href=\"/runs/\(HTML.component(project))/\(HTML.component(name))/report\">Open the evaluation report</a> (baselines, most confident mistakes, digests).</p>"
            body += ReportPage.figures(report)
        } else {
            body += "<p class=\"muted\">No up-to-date evaluation report: run <code>lunette run \(HTML.escape(project))/\(HTML.escape(name))</code>.</p>"
        }
        return JSONResponse.html(HTML.page(title: "Run \(project)/\(name)", body: body))
    }

    /// The run's latest `report.json`, as `evaluate` wrote it.
    private func evaluationReport(project: String, run name: String) throws -> EvaluationReport {
        let folder = try workspace.reportFolder(run: "\(project)/\(name)")
        return try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: folder.appendingPathComponent("report.json")))
    }

    /// `/runs/{project}/{run}/report`: the evaluation report page as `evaluate` wrote it.
    func report(project: String, run name: String) throws -> Response {
        do {
            let folder = try workspace.reportFolder(run: "\(project)/\(name)")
            let text = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
            return JSONResponse.html(text)
        } catch let error as WorkspaceError {
            return notFound(error.message, hint: error.remedy)
        }
    }

    /// `/registry`: every metric version with its aliases and scores.
    func registry() throws -> Response {
        let metrics = try workspace.registeredMetrics().sorted { ($0.name, $1.version) < ($1.name, $0.version) }
        let rows = metrics.map { metric -> [String] in
            let summary = (try? JSONValue.parse(metric.summary)) ?? .null
            return [
                HTML.escape(metric.name), "\(metric.version)",
                metric.aliases.map { "<span class=\"pill idle\">\(HTML.escape($0))</span>" }.joined(separator: " "),
                HTML.escape(summary["output"]?.stringValue ?? "—"),
                HTML.escape(summary["labels"]?.arrayValue?.map(\.displayText).joined(separator: ", ") ?? "—"),
                HTML.scorePill(summary["macro_f1"]?.doubleValue),
                "<a href=\"/runs/\(HTML.component(metric.project))/\(HTML.component(metric.run))\">\(HTML.escape("\(metric.project)/\(metric.run)"))</a>",
                HTML.escape(HTML.date(metric.registeredAt)),
            ]
        }
        return JSONResponse.html(
            HTML.page(
                title: "Registry",
                body: HTML.table(["Metric", "Version", "Aliases", "Output", "Labels", "Macro F1", "From run", "Registered"], rows,
                                 empty: "No registered metrics yet: a run's register stage adds one.")))
    }

    /// The latest registered macro F1 of each `project/run`.
    private func headlineScores() throws -> [String: Double] {
        var scores: [String: (version: Int, value: Double)] = [:]
        for metric in try workspace.registeredMetrics() {
            guard let value = (try? JSONValue.parse(metric.summary))?["macro_f1"]?.doubleValue else { continue }
            let key = "\(metric.project)/\(metric.run)"
            if (scores[key]?.version ?? -1) < metric.version { scores[key] = (metric.version, value) }
        }
        return scores.mapValues(\.value)
    }

    private func notFound(_ message: String, hint: String?) -> Response {
        JSONResponse.html(
            HTML.page(
                title: "Not found",
                body: "<p class=\"error\">\(HTML.escape(message))</p>" + (hint.map { "<p>\(HTML.escape($0))</p>" } ?? "")),
            status: .notFound)
    }

    static func describe(_ training: TrainingSet) -> String {
        switch training {
        case .upload(let source, let labelled): return source.path + (labelled ? "" : " (labelled by the judge)")
        case .generate(let settings): return "generated" + (settings["count"].map { " (\($0.displayText) rows)" } ?? "")
        case .importTraces(let source): return "traces from " + source.path
        }
    }
}
