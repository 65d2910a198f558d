import Basics
import Foundation
import Hummingbird
import RunStore
import Scoring
import WorkflowModel
import Workspace

/// The JSON scoring API: `POST /v1/metrics/{reference}/score` and `GET /v1/metrics`.
struct ScoringAPI: Sendable {
    let workspace: Workspace
    let configuration: ServerConfiguration
    let cache: ModelCache
    let metrics: ServerMetrics

    /// Resolves `name`, `name@version` or `name@alias` now (so alias moves apply to the next request).
    /// - Throws: ``APIError`` 404 `unknown_metric` with a did-you-mean.
    func resolve(_ reference: String) throws -> RegisteredMetric {
        let name = String(reference.split(separator: "@", omittingEmptySubsequences: false).first ?? "")
        if !configuration.metrics.isEmpty, !servedNames.contains(name) {
            let hint = Suggestion.hint(for: name, in: servedNames) ?? "served: " + servedNames.joined(separator: ", ")
            throw APIError(.notFound, code: "unknown_metric", "metric '\(name)' is not served here; \(hint)")
        }
        do {
            return try workspace.registeredMetric(reference)
        } catch let error as WorkspaceError where error.code == .unknownRun {
            throw APIError(
                .notFound, code: "unknown_metric", error.message + (error.remedy.map { "; \($0)" } ?? ""))
        }
    }

    /// The metric names `--metrics` allows, sorted.
    var servedNames: [String] {
        Set(configuration.metrics.map { String($0.split(separator: "@").first ?? "") }).sorted()
    }

    /// Scores the request's rows, in order.
    func score(_ request: Request, reference: String) async throws -> Response {
        let metric = try resolve(reference)
        let rows = try await readRows(request)
        let batcher = try await cache.batcher(for: metric)
        let model = batcher.model
        var canonical: [CanonicalRow] = []
        var problems: [String] = []
        for (index, value) in rows.enumerated() {
            guard let object = value.objectValue else {
                problems.append("rows[\(index)]: not a JSON object")
                continue
            }
            let (row, missing, invalid) = ScoringInput.canonicalRow(
                from: object, number: index, format: model.info.rendering.format)
            if !invalid.isEmpty {
                problems.append("rows[\(index)]: " + invalid.joined(separator: "; "))
            } else if missing.isEmpty {
                canonical.append(row)
            } else {
                problems.append(
                    "rows[\(index)]: missing " + missing.map { "'\($0)'" }.joined(separator: ", ")
                        + " (the metric's input format is \(model.info.rendering.format.rawValue))")
            }
        }
        if !problems.isEmpty {
            let shown = problems.prefix(5).joined(separator: "; ")
            throw APIError(
                .badRequest, code: "invalid_row", shown + (problems.count > 5 ? "; and \(problems.count - 5) more" : ""))
        }
        let predictions: [MetricModel.Prediction]
        do {
            predictions = try await batcher.score(canonical)
        } catch let overloaded as ModelBatcher.Overloaded {
            metrics.overloaded()
            throw APIError(
                .serviceUnavailable, code: "overloaded",
                "\(overloaded.queued) rows are already waiting for \(metric.reference); retry in a second",
                headers: [.retryAfter: "1"])
        } catch {
            throw APIError(.internalServerError, code: "scoring_failed", "\(error)")
        }
        let scores: [JSONValue] = predictions.map { .object(model.responseFields($0)) }
        return JSONResponse.make(["metric": .string(metric.reference), "scores": .array(scores)])
    }

    /// Reads `{"rows":[…]}` within the size and count limits.
    private func readRows(_ request: Request) async throws -> [JSONValue] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maxBodyBytes {
            throw tooLarge()
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge()
        }
        guard let body = try? JSONValue.parse(Data(buffer.readableBytesView)) else {
            throw APIError(.badRequest, code: "invalid_json", "the body is not valid JSON; send {\"rows\": [{…}, …]}")
        }
        guard let rows = body["rows"]?.arrayValue else {
            throw APIError(.badRequest, code: "invalid_request", "the body needs a \"rows\" array: {\"rows\": [{…}, …]}")
        }
        guard rows.count <= configuration.maxRowsPerRequest else {
            throw APIError(
                .contentTooLarge, code: "too_many_rows",
                "\(rows.count) rows in one request; the limit is \(configuration.maxRowsPerRequest): split the request")
        }
        return rows
    }

    private func tooLarge() -> APIError {
        APIError(
            .contentTooLarge, code: "too_large",
            "the request body is over \(configuration.maxBodyBytes) bytes: send fewer rows per request")
    }

    /// Every registered metric with its versions, aliases, output, labels and headline scores.
    func list() throws -> Response {
        let all = try workspace.registeredMetrics()
        let names = Set(all.map(\.name)).sorted().filter { configuration.metrics.isEmpty || servedNames.contains($0) }
        let entries: [JSONValue] = names.map { name in
            let versions = all.filter { $0.name == name }.sorted { $0.version < $1.version }
            var aliases: [String: JSONValue] = [:]
            for version in versions { for alias in version.aliases { aliases[alias] = .int(version.version) } }
            let latest = versions.last
            let summary = latest.flatMap { try? JSONValue.parse($0.summary) }
            return [
                "name": .string(name), "latest": .int(latest?.version ?? 0), "aliases": .object(aliases),
                "output": summary?["output"] ?? .null, "labels": summary?["labels"] ?? .null,
                "versions": .array(versions.map(Self.describe)),
            ]
        }
        return JSONResponse.make(["metrics": .array(entries)])
    }

    static func describe(_ metric: RegisteredMetric) -> JSONValue {
        let summary = (try? JSONValue.parse(metric.summary)) ?? .null
        var scores: [String: JSONValue] = [:]
        for key in ["macro_f1", "accuracy", "auc_roc"] { if let value = summary[key] { scores[key] = value } }
        return [
            "version": .int(metric.version), "reference": .string(metric.reference),
            "aliases": .array(metric.aliases.map(JSONValue.string)), "project": .string(metric.project),
            "run": .string(metric.run), "registered_at": .string(UTCTimestamp.string(from: metric.registeredAt)),
            "output": summary["output"] ?? .null, "labels": summary["labels"] ?? .null, "scores": .object(scores),
        ]
    }
}
