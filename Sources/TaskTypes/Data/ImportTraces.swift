import Basics
import Foundation
import Scoring
import TaskInterface
import WorkflowModel

/// The `import` stage: turns a trace export into unlabelled rows for the metric's step and input.
///
/// Input `source` (the export; formats in ``ImportTraceReader``), output `rows`. Params `path`
/// (for messages), `columns`, `step` and `input_format`.
///
/// | step | one row per | fields |
/// |---|---|---|
/// | `llm_span` | LLM span | `input` (the last user message, else `input.value`), `output`, `tools` (`llm.tools`) |
/// | `retriever` | retriever span | `documents`, `input` (the query), `output` (the trace's answer, when there is one) |
/// | `agent_span` | agent span | `input`, `output`, `tools` (the tool spans under it) |
/// | `trace` | trace | `trace` (its spans in start order, each `{kind, name, input, output}`), `input`, `output` of its root |
/// | `session` | session id | `session` (its traces in order, each `{trace_id, input, output}`), first `input`, last `output` |
///
/// Rows missing a field the input format requires are left out and counted. Rows are numbered
/// from 1 in the order of their first span's start time; ids are span, trace or session ids.
public struct ImportTraces: TaskType {
    public static let id = "import"
    public static let version = 1
    public var statusWhileRunning: RunStatus? { .generatingData }

    public init() {}

    public func run(_ context: StageContext) async throws -> StageResult {
        let stage = context.stageID.description
        let source = try context.input("source")
        let path = context.string("path") ?? source.lastPathComponent
        guard !path.lowercased().hasSuffix(".csv") else {
            throw TaskError(
                "\(stage): \(path) is a CSV file; import reads trace exports (JSON or JSON Lines)",
                remedy: "for a CSV of logs use training_set: {upload: {path: \(path), labelled: false}}", code: .invalidInput)
        }
        let step = context.string("step").flatMap(MetricStep.init(rawValue:)) ?? .llmSpan
        let format = context.string("input_format").flatMap(InputFormat.init(rawValue:)) ?? .inputOutput
        var reader = ImportTraceReader()
        reader.columns = context.params["columns"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        let data: Data
        do {
            data = try Data(contentsOf: source)
        } catch {
            throw TaskErrors.cannotRead(path, reason: error.localizedDescription)
        }
        try reader.read(data, path: path)
        let candidates = ImportTraces.rows(from: reader.spans, step: step)
        var rows: [CanonicalRow] = []
        var skipped: [String: Int] = [:]
        for candidate in candidates {
            let json = candidate.jsonValue
            if let missing = format.requiredFields.first(where: { json[$0] == nil }) {
                skipped["no \(missing)", default: 0] += 1
                continue
            }
            var row = candidate
            row.row = rows.count + 1
            rows.append(row)
        }
        guard !rows.isEmpty else {
            throw TaskError(
                "\(stage): \(path) has \(reader.spans.count) spans but none gives a \(step.rawValue) row with "
                    + format.requiredFields.joined(separator: " and "),
                remedy: "check the export's format and the metric's step and input", code: .invalidInput)
        }
        try DatasetRows.write(rows, to: context.output("rows"))
        let skippedTotal = skipped.values.reduce(0, +)
        let skippedText = skipped.keys.sorted().map { "\(skipped[$0] ?? 0) \($0)" }.joined(separator: ", ")
        return StageResult(
            summary: "imported \(rows.count) \(step.rawValue) rows from \(reader.spans.count) spans in \(path)"
                + (skippedTotal > 0 ? "; left out \(skippedTotal) (\(skippedText))" : ""),
            metrics: [
                "rows": .int(rows.count), "spans": .int(reader.spans.count),
                "skipped": .object(skipped.mapValues { .int($0) }),
            ])
    }

    /// Candidate rows for `step`, in start order (row numbers are assigned later).
    static func rows(from spans: [TraceSpan], step: MetricStep) -> [CanonicalRow] {
        let ordered = spans.sorted { ($0.start, $0.position) < ($1.start, $1.position) }
        var byTrace: [String: [TraceSpan]] = [:]
        var traceOrder: [String] = []
        for span in ordered {
            if byTrace[span.traceID] == nil { traceOrder.append(span.traceID) }
            byTrace[span.traceID, default: []].append(span)
        }
        func root(_ trace: String) -> TraceSpan? {
            let members = byTrace[trace] ?? []
            let ids = Set(members.map(\.spanID))
            return members.first { $0.parentID == nil || !ids.contains($0.parentID ?? "") }
        }
        func toolCalls(under parent: TraceSpan) -> JSONValue? {
            let calls = (byTrace[parent.traceID] ?? []).filter { $0.kind == .tool && $0.parentID == parent.spanID }
            guard !calls.isEmpty else { return nil }
            return .array(calls.map { call in
                var object: [String: JSONValue] = ["name": .string(call.name)]
                if let input = call.input { object["input"] = .string(input) }
                if let output = call.output { object["output"] = .string(output) }
                return .object(object)
            })
        }
        switch step {
        case .llmSpan:
            return ordered.filter { $0.kind == .llm }.map {
                CanonicalRow(row: 0, id: $0.spanID, input: $0.input, output: $0.output, tools: $0.tools ?? toolCalls(under: $0))
            }
        case .retriever:
            return ordered.filter { $0.kind == .retriever }.map {
                CanonicalRow(row: 0, id: $0.spanID, input: $0.input, output: root($0.traceID)?.output, documents: $0.documents)
            }
        case .agentSpan:
            return ordered.filter { $0.kind == .agent }.map {
                CanonicalRow(row: 0, id: $0.spanID, input: $0.input, output: $0.output, tools: toolCalls(under: $0) ?? $0.tools)
            }
        case .trace:
            return traceOrder.map { trace in
                let members = byTrace[trace] ?? []
                let top = root(trace)
                return CanonicalRow(
                    row: 0, id: trace, input: top?.input, output: top?.output,
                    trace: .array(members.map(ImportTraces.summary)))
            }
        case .session:
            var sessions: [String: [String]] = [:]
            var sessionOrder: [String] = []
            for trace in traceOrder {
                guard let session = (byTrace[trace] ?? []).lazy.compactMap(\.sessionID).first else { continue }
                if sessions[session] == nil { sessionOrder.append(session) }
                sessions[session, default: []].append(trace)
            }
            return sessionOrder.map { session in
                let traces = sessions[session] ?? []
                let turns: [JSONValue] = traces.map { trace in
                    var object: [String: JSONValue] = ["trace_id": .string(trace)]
                    if let input = root(trace)?.input { object["input"] = .string(input) }
                    if let output = root(trace)?.output { object["output"] = .string(output) }
                    return .object(object)
                }
                return CanonicalRow(
                    row: 0, id: session, input: traces.first.flatMap { root($0)?.input },
                    output: traces.last.flatMap { root($0)?.output }, session: .array(turns))
            }
        }
    }

    static func summary(_ span: TraceSpan) -> JSONValue {
        var object: [String: JSONValue] = ["kind": .string(span.kind.rawValue), "name": .string(span.name)]
        if let input = span.input { object["input"] = .string(input) }
        if let output = span.output { object["output"] = .string(output) }
        if let documents = span.documents { object["documents"] = .array(documents.map(JSONValue.string)) }
        return .object(object)
    }
}
