import Basics
import Foundation
import _TestSupport
import TaskInterface
import Testing

@testable import Scoring
@testable import TaskTypes

/// Records registrations like the engine's store would.
final class RecordingRegistry: MetricRegistry, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var requests: [RegistrationRequest] = []

    func register(_ request: RegistrationRequest) throws -> RegistrationResult {
        lock.withLock {
            let existing = requests.firstIndex { $0.name == request.name && $0.modelDigest == request.modelDigest }
            if let existing { return RegistrationResult(name: request.name, version: existing + 1, isNew: false) }
            requests.append(request)
            return RegistrationResult(name: request.name, version: requests.count, isNew: true)
        }
    }
}

@Suite("evaluate and register")
struct EvaluateModelTests {
    /// Trains a tiny head-mode model, then evaluates it on held-out rows.
    func evaluate(_ fixture: TrainFixture, provider: JSONValue? = nil, prompt: Bool = false) async throws -> (StageResult, URL) {
        let (_, model) = try await fixture.run(rows: TrainFixture.tinyRows(count: 40))
        let evalURL = fixture.stage.url("eval.jsonl"), seedsURL = fixture.stage.url("seeds.jsonl")
        try DatasetRows.write(TrainFixture.tinyRows(count: 20, firstRow: 100), to: evalURL)
        try DatasetRows.write(TrainFixture.tinyRows(count: 10, firstRow: 200), to: seedsURL)
        var metric = TrainFixture.booleanMetric.objectValue ?? [:]
        if prompt { metric["prompt"] = "Is it good?" }
        var params: [String: JSONValue] = ["metric": .object(metric)]
        if let provider { params["provider"] = provider }
        var context = try fixture.stage.context(
            stage: "demo/run/evaluate", params: params,
            inputs: ["model": model, "eval": evalURL, "seeds": seedsURL, "base_model": fixture.baseModel],
            outputs: ["report": "report"], environment: [:])
        context.memo = DirectoryMemo(root: fixture.stage.url("memo"))
        context.inputDigests = ["model": ContentHash.of("model"), "eval": ContentHash.of("eval")]
        return (try await EvaluateModel().run(context), fixture.stage.url("report"))
    }

    @Test("writes report.json, predictions.jsonl and a self-contained report.html with the baseline")
    func writesTheReport() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let (result, folder) = try await evaluate(fixture)
        let report = try JSONDecoder().decode(
            EvaluationReport.self, from: Data(contentsOf: folder.appendingPathComponent("report.json")))
        #expect(report.scores.rows == 20)
        #expect(report.scores.macroF1 > 0.8)
        #expect(report.scores.threshold != nil)
        #expect(report.scoresAtHalf?.threshold == 0.5)
        #expect(report.baselines.map(\.name) == ["untuned base model (nearest centroid of seed rows)"])
        #expect(abs(report.baselines[0].macroF1Delta - (report.scores.macroF1 - report.baselines[0].scores.macroF1)) < 1e-12)
        #expect(report.digests["model"] == ContentHash.of("model").description)
        let predictions = try String(contentsOf: folder.appendingPathComponent("predictions.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        #expect(predictions.count == 20)
        let first = try JSONValue.parse(String(predictions[0]))
        #expect(first["row"] == 100)
        #expect(first["probabilities"]?.objectValue?.keys.sorted() == ["false", "true"])
        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<svg"))
        // Self-contained: nothing is fetched (the SVG namespace URI is a name, not a fetch).
        let fetchable = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!fetchable.contains("http://") && !fetchable.contains("https://"))
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains(" src="))
        #expect(result.summary?.hasPrefix("macro F1 ") == true)

        // What training chose, and from how many out-of-fold rows, is in the report and on the page.
        let selection = try #require(report.selection)
        #expect(selection["mode"] == "head")
        #expect(selection["cross_validation_folds"] == 7)  // 10 wanted, 7 groups of rows sharing an input per label
        #expect(selection["threshold"]?["selection"]?["rows"] == 40)
        #expect(selection["threshold"]?["tuned"]?.doubleValue == report.scores.threshold)
        #expect(html.contains("<h2>Model selection</h2><p>mode head, 7-fold cross-validation · L2 "))
        #expect(html.contains("on 40 out-of-fold rows"))
    }

    @Test("with a judge provider, the LLM judge's own F1 is a baseline")
    func judgeBaseline() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let script: ScriptedServer.Script = { request in
            let good = ScriptedLLM.lastUserMessage(request).contains("is good")
            return .chat("{\"label\": \(good), \"rationale\": \"It says so.\"}")
        }
        let (calls, folder) = try await withScriptedServer(script) { server in
            let (_, folder) = try await evaluate(fixture, provider: GenerateWorkspace.provider(server), prompt: true)
            return (server.statistics.requestCount, folder)
        }
        #expect(calls == 20)
        let report = try JSONDecoder().decode(
            EvaluationReport.self, from: Data(contentsOf: folder.appendingPathComponent("report.json")))
        let judge = try #require(report.baselines.first { $0.name.hasPrefix("LLM judge") })
        #expect(judge.scores.macroF1 == 1)
    }

    @Test("register checks the gate, then registers once; the same model again is the same version")
    func register() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let (_, folder) = try await evaluate(fixture)
        let registry = RecordingRegistry()
        func context(gate: JSONValue) throws -> StageContext {
            var context = try fixture.stage.context(
                stage: "demo/run/register",
                params: ["metric": TrainFixture.booleanMetric, "gate": gate, "project": "demo", "run": "run", "manifest": "workflows/demo.yaml"],
                inputs: ["model": fixture.stage.url("model"), "report": folder], outputs: ["entry": "entry.json"], environment: [:])
            context.registry = registry
            context.inputDigests = ["model": ContentHash.of("model"), "report": ContentHash.of("report")]
            return context
        }
        // A bound out of range is refused by the stage as by `lunette check`, in the schema's words.
        do {
            _ = try await RegisterMetric().run(context(gate: ["min_f1": 1.01]))
            Issue.record("a gate above 1 was accepted")
        } catch let error as TaskError {
            #expect(error.code == .invalidInput)
            #expect(error.message.hasPrefix("gate.min_f1: "), "\(error.message)")
        }
        #expect(registry.requests.isEmpty)
        let first = try await RegisterMetric().run(context(gate: ["min_f1": 0.5]))
        #expect(first.summary?.hasPrefix("registered goodness@1") == true)
        let again = try await RegisterMetric().run(context(gate: [:]))
        #expect(again.summary?.hasPrefix("already registered as goodness@1") == true)
        #expect(registry.requests.count == 1)
        #expect(registry.requests[0].summary["output"] == "boolean")
        let entry = try JSONValue.parse(Data(contentsOf: fixture.stage.url("entry.json")))
        #expect(entry["version"] == 1)
    }
}

@Suite("plan notes")
struct PlanNoteTests {
    @Test("generate says how many calls and tokens it will spend; the offline provider spends none")
    func generate() {
        let provider: JSONValue = ["name": "p", "kind": "openai-compatible", "base_url": "http://x/v1", "model": "m"]
        #expect(
            GenerateData().planNote(params: ["count": 2500, "examples_per_call": 10, "provider": provider])
                == "about 250 provider calls (~250k tokens, estimated; calls already answered are cached)")
        #expect(GenerateData().planNote(params: ["provider": ["kind": "offline"]]) == "offline provider: no network calls")
        #expect(EvaluateModel().planNote(params: ["provider": provider]) == nil)  // no judge prompt
    }
}
