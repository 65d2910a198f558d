import Basics
import Foundation
import RunStore
import Testing
import Workspace

/// The committed registry file's format (``RegistryFile``) and the scores diff (``ScoresDiff``), on
/// constructed values: what a merge can do to the file, and what `metrics diff` reports.
@Suite("Registry file and scores diff")
struct RegistryFileTests {
    static let modelA = "sha256:" + String(repeating: "a", count: 64)
    static let modelB = "sha256:" + String(repeating: "b", count: 64)

    static func metric(_ name: String, _ version: Int, model: String, aliases: [String] = []) -> RegisteredMetric {
        RegisteredMetric(
            name: name, version: version, modelDigest: model, reportDigest: nil, project: "p", run: "r",
            manifestDigest: nil, summary: #"{"base_model":"minilm-l6","macro_f1":0.81,"output":"boolean"}"#,
            registeredAt: Date(timeIntervalSince1970: 1_796_000_000.75), aliases: aliases)
    }

    @Test("one sorted line per version, then the name's aliases; the text survives a parse and a render")
    func roundTrip() throws {
        let file = RegistryFile(metrics: [
            Self.metric("tox", 2, model: Self.modelB, aliases: ["champion"]), Self.metric("tox", 1, model: Self.modelA),
            Self.metric("neutral", 1, model: Self.modelA),
        ])
        let lines = file.rendered.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix(#"{"name":"neutral","version":1,"base_model":"minilm-l6","#))
        #expect(lines[1].hasPrefix(#"{"name":"tox","version":1,"#))
        #expect(lines[2].hasPrefix(#"{"name":"tox","version":2,"#))
        #expect(lines[3] == #"{"name":"tox","alias":"champion","version":2}"#)
        #expect(lines[0].contains(#""registered_at":"2026-11-30T00:53:20Z""#))
        #expect(!lines[0].contains("/tmp") && !lines[0].contains(".75"))
        let (parsed, diagnostics) = RegistryFile.parse(file.rendered)
        #expect(diagnostics.isEmpty)
        #expect(parsed.rendered == file.rendered)
        #expect(parsed.resolve("tox")?.version == 2)
        #expect(parsed.resolve("tox@champion")?.modelDigest == Self.modelB)
        #expect(parsed.resolve("tox@1")?.modelDigest == Self.modelA)
        #expect(parsed.resolve("tox@staging") == nil)
        #expect(parsed.resolve("neutral")?.summary.contains("minilm-l6") == true)
    }

    @Test("a merge that kept both branches' tox@2 is refused, naming both lines and how to fix it")
    func versionNamedTwice() {
        let ours = RegistryFile(metrics: [Self.metric("tox", 1, model: Self.modelA)]).rendered
        let two = RegistryFile(metrics: [Self.metric("tox", 2, model: Self.modelB)]).rendered
        let theirs = two.replacingOccurrences(of: Self.modelB, with: "sha256:" + String(repeating: "c", count: 64))
        let (_, diagnostics) = RegistryFile.parse(ours + two + theirs, file: "workflows/registry.jsonl")
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.message == "tox@2 is named twice (lines 2 and 3)")
        #expect(diagnostics.first?.location == SourceLocation(file: "workflows/registry.jsonl", line: 3, column: 1))
        #expect(diagnostics.first?.hint?.contains("lunette register") == true)
    }

    @Test("conflict markers, a malformed line, a model registered twice and an alias to nowhere are each located")
    func otherProblems() {
        let base = RegistryFile(metrics: [Self.metric("tox", 1, model: Self.modelA)]).rendered
        let again = RegistryFile(metrics: [Self.metric("tox", 2, model: Self.modelA)]).rendered
        let text = "<<<<<<< HEAD\n" + base + "=======\n" + again + ">>>>>>> other\n" + "{\"name\": tox}\n"
            + #"{"name":"tox","alias":"prod","version":9}"# + "\n"
        let (_, diagnostics) = RegistryFile.parse(text)
        let byLine = Dictionary(diagnostics.map { ($0.location?.line ?? 0, $0.message) }, uniquingKeysWith: { a, _ in a })
        #expect(byLine[1] == "unresolved merge conflict marker")
        #expect(byLine[3] == "unresolved merge conflict marker")
        #expect(byLine[4] == "tox@2 registers the model of line 2 again")
        #expect(byLine[5] == "unresolved merge conflict marker")
        #expect(byLine[6]?.hasPrefix("not a JSON object") == true)
        #expect(diagnostics.first { $0.location?.line == 6 }?.location?.column == 10)
        #expect(byLine[7] == "alias tox@prod points at tox@9, which no line registers")
        #expect(diagnostics.count == 6)
    }

    static func scores(_ macroF1: Double, calibration: Double, rows: Int, gate: Bool?) -> RunScores {
        var values: [String: JSONValue] = [
            "macro_f1": .double(macroF1), "calibration_error": .double(calibration), "eval_rows": .int(rows),
            "per_class_f1": .object(["true": .double(macroF1 + 0.1)]),
        ]
        values["gate_passed"] = gate.map(JSONValue.bool) ?? .null
        return RunScores(values: values)
    }

    @Test("the diff lists changed figures with deltas and which way is better, and runs added or removed")
    func diff() throws {
        let old = ["p": ScoresFile(project: "p", runs: [
            "a": Self.scores(0.80, calibration: 0.05, rows: 100, gate: true),
            "gone": Self.scores(0.5, calibration: 0.1, rows: 10, gate: nil),
        ])]
        let new = ["p": ScoresFile(project: "p", runs: [
            "a": Self.scores(0.75, calibration: 0.04, rows: 100, gate: false),
            "new": Self.scores(0.6, calibration: 0.1, rows: 10, gate: nil),
        ])]
        let diff = ScoresDiff(old: old, new: new)
        #expect(diff.added == ["p/new"])
        #expect(diff.removed == ["p/gone"])
        let rows = diff.rows.filter { $0.run == "p/a" }
        #expect(rows.map(\.figure) == ["macro_f1", "calibration_error", "per_class_f1.true", "gate_passed"])
        let macro = try #require(rows.first)
        #expect(abs((macro.delta ?? 0) + 0.05) < 1e-9)
        #expect(macro.isImprovement == false)
        #expect(rows[1].isImprovement == true)  // calibration error fell
        #expect(rows[3].old == .bool(true) && rows[3].new == .bool(false) && rows[3].isImprovement == false)
        #expect(ScoresDiff(old: old, new: new, all: true).rows.contains { $0.run == "p/a" && $0.figure == "eval_rows" })
        #expect(ScoresDiff(old: old, new: old).rows.isEmpty)
        let json = diff.jsonValue
        #expect(json["added"] == .array([.string("p/new")]))
        #expect(json["changes"]?.arrayValue?.first?["delta"] == .double(-0.05))
    }

    @Test("a report's figures become a scores entry rounded to four decimals, with the gate's verdict")
    func entryFromReport() throws {
        let report = try JSONValue.parse(#"""
            {"metric":"tox","output":"boolean",
             "scores":{"macroF1":0.812345,"accuracy":0.9,"aucROC":0.95,"prAUC":0.97,"expectedCalibrationError":0.0312,
                       "perClass":[{"label":"false","f1":0.7,"precision":0.6,"recall":0.8,"support":30},
                                   {"label":"true","f1":0.92,"precision":0.95,"recall":0.9,"support":70}]},
             "baselines":[{"scores":{"macroF1":0.7}}],
             "intervals":{"macroF1":{"lower":0.75,"upper":0.86}}}
            """#)
        let passed = RunScores(report: report, reportDigest: Self.modelA, gate: ["min_f1": .double(0.8)])
        #expect(passed.values["macro_f1"] == .double(0.8123))
        #expect(passed.values["eval_rows"] == .int(100))
        #expect(passed.values["gate_passed"] == .bool(true))
        #expect(passed.values["macro_f1_ci"] == .array([.double(0.75), .double(0.86)]))
        #expect(passed.values["per_class_f1"]?["true"] == .double(0.92))
        let failed = RunScores(report: report, reportDigest: Self.modelA, gate: ["min_recall": .double(0.9)])
        #expect(failed.values["gate_passed"] == .bool(false))  // macro recall 0.85
        let none = RunScores(report: report, reportDigest: Self.modelA, gate: [:])
        #expect(none.values["gate_passed"] == .null)
        let file = ScoresFile(project: "p", runs: ["a": passed])
        #expect(try ScoresFile.parse(Data(file.rendered.utf8), file: "x") == file)
        #expect(file.rendered.contains("\n      \"macro_f1\": 0.8123,\n"))
    }
}
