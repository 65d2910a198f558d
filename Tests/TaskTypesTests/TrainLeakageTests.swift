import Basics
import Foundation
import TaskInterface
import Testing

@testable import Scoring
@testable import TaskTypes

/// Issue 13, item 4: training rows that repeat an eval row are dropped by the train stage, whatever
/// the training set's source, and counted.
@Suite struct TrainLeakageTests {
    /// `count` distinct message rows numbered from `firstRow`, alternating true and false.
    static func rows(_ count: Int, firstRow: Int = 2, offset: Int = 0) -> [CanonicalRow] {
        let subjects = ["the cat", "a dog", "the mat", "hello world", "the cafe"]
        return (0..<count).map { index in
            let n = index + offset
            let isGood = n % 2 == 0
            return CanonicalRow(row: firstRow + index, input: "\(subjects[n % 5]) is \(isGood ? "good" : "bad") \(n)",
                                label: isGood ? "true" : "false")
        }
    }

    static let pairMetric: JSONValue = [
        "name": "answered", "output": "boolean", "labels": ["false", "true"], "step": "llm_span", "input": "input_output",
    ]

    /// Runs `train` in head mode with `eval` as its eval input (none when `nil`).
    func train(
        _ fixture: TrainFixture, rows: [CanonicalRow], seeds: [CanonicalRow] = [], eval: [CanonicalRow]?,
        metric: JSONValue = TrainFixture.booleanMetric, train: JSONValue = ["mode": "head"]
    ) async throws -> (result: StageResult, info: JSONValue) {
        let rowsURL = fixture.stage.url("rows.jsonl"), seedsURL = fixture.stage.url("seeds.jsonl")
        let evalURL = fixture.stage.url("eval.jsonl")
        try DatasetRows.write(rows, to: rowsURL)
        try DatasetRows.write(seeds, to: seedsURL)
        var inputs = ["rows": rowsURL, "seeds": seedsURL, "base_model": fixture.baseModel]
        if let eval {
            try DatasetRows.write(eval, to: evalURL)
            inputs["eval"] = evalURL
        }
        let context = try fixture.stage.context(
            stage: "demo/run/train", params: ["metric": metric, "seed": 7, "train": train], inputs: inputs,
            outputs: ["model": "model"], environment: [:])
        let result = try await Train().run(context)
        let info = try JSONValue.parse(Data(contentsOf: fixture.stage.url("model/\(MetricModelInfo.fileName)")))
        return (result, info)
    }

    @Test func uploadedRowsRepeatingEvalRowsAreDroppedExactlyOrByNormalisedText() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = Self.rows(30)
        let unrelated = Self.rows(6, firstRow: 100, offset: 500)
        var eval = unrelated
        // Exact copies of training rows 2, 5 and 9, one with another label (labels are not compared).
        eval.append(CanonicalRow(row: 200, input: rows[0].input, label: "true"))
        eval.append(CanonicalRow(row: 201, input: rows[3].input, label: "true"))
        eval.append(CanonicalRow(row: 202, input: rows[7].input, label: "false"))
        // Normalised copies of training rows 12 (case and punctuation) and 20 (whitespace).
        eval.append(CanonicalRow(row: 203, input: rows[10].input!.uppercased() + "!!", label: "true"))
        eval.append(CanonicalRow(row: 204, input: "  " + rows[18].input!.replacingOccurrences(of: " ", with: " \t "),
                                 label: "true"))
        let (result, info) = try await train(fixture, rows: rows, eval: eval)

        let expected: JSONValue = ["exact": 3, "normalised": 2, "total": 5, "shared_input": 0]
        #expect(result.metrics["dropped_eval_duplicates"] == expected)
        #expect(info["rows"]?["dropped_eval_duplicates"] == expected)
        #expect(info["rows"]?["per_label"] == ["true": 12, "false": 13])  // 30 rows less 5
        #expect(result.summary?.hasSuffix("; dropped 5 training rows repeating eval rows") == true)
        let log = try #require(fixture.stage.reporter.logs.first { $0.contains("repeat an eval row") })
        #expect(log == "train: dropped 5 of 30 training rows that repeat an eval row (leakage): "
            + "3 exactly (rows 2, 5, 9), 2 by normalised text (rows 12, 20)")
    }

    @Test func pairsAreDroppedOnlyWhenTheWholePairRepeats() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = Self.rows(20).map { row in
            CanonicalRow(row: row.row, input: row.input, output: "it is \(row.label == "true" ? "good" : "bad")",
                         label: row.label)
        }
        let eval = [
            CanonicalRow(row: 2, input: rows[0].input, output: rows[0].output, label: "true"),  // the pair: dropped
            CanonicalRow(row: 3, input: rows[1].input, output: "a different answer", label: "false"),  // input only
            CanonicalRow(row: 4, input: "unrelated", output: rows[2].output, label: "true"),  // output only
            CanonicalRow(row: 5, input: rows[3].input! + " ?", output: rows[3].output!.uppercased(), label: "false"),
        ]
        let (result, info) = try await train(fixture, rows: rows, eval: eval, metric: Self.pairMetric)
        // The row sharing only its input with an eval row is kept, and the stage warns about it.
        let expected: JSONValue = ["exact": 1, "normalised": 1, "total": 2, "shared_input": 1]
        #expect(result.metrics["dropped_eval_duplicates"] == expected)
        #expect(info["rows"]?["dropped_eval_duplicates"] == expected)
        #expect(fixture.stage.reporter.logs.contains {
            $0.hasSuffix("1 exactly (row 2), 1 by normalised text (row 5)")
        })
        #expect(result.warnings.first?.hasPrefix("1 training row shares its input with an eval row: ") == true)
    }

    @Test func importedTracesGoThroughTheSameFilter() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        // A plain JSONL trace export, as `import` reads it; `label` then adds a label to each row.
        let lines = (0..<12).map { index in
            #"{"trace_id":"t\#(index)","span_id":"\#(index)","kind":"llm","input":"question \#(index)","#
                + #""output":"answer \#(index)","start_time":"2025-01-01T00:00:\#(10 + index)Z"}"#
        }
        let source = try fixture.stage.write(lines.joined(separator: "\n") + "\n", to: "traces.jsonl")
        let context = try fixture.stage.context(
            stage: "demo/run/import", params: ["path": "traces.jsonl", "step": "llm_span", "input_format": "input_output"],
            inputs: ["source": source], outputs: ["rows": "imported.jsonl"])
        _ = try await ImportTraces().run(context)
        let imported = try DatasetRows.read(from: fixture.stage.url("imported.jsonl")).enumerated().map { index, row in
            var labelled = row
            labelled.label = index % 2 == 0 ? "true" : "false"
            return labelled
        }
        #expect(imported.count == 12)
        let eval = [CanonicalRow(row: 9, input: imported[4].input, output: imported[4].output, label: "true")]
        let (result, _) = try await train(fixture, rows: imported, eval: eval, metric: Self.pairMetric)
        #expect(result.metrics["dropped_eval_duplicates"] == ["exact": 1, "normalised": 0, "total": 1, "shared_input": 0])
        #expect(fixture.stage.reporter.logs.contains { $0.hasSuffix("1 exactly (row \(imported[4].row))") })
    }

    /// A training row that exactly repeats a seed row is not a leak, but the seed is added anyway: the
    /// copy is dropped so the row counts once (and never sits on both sides of a cross-validation fold).
    @Test func rowsRepeatingSeedRowsCountOnce() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let seeds = Self.rows(6, firstRow: 50, offset: 100)
        let rows = Self.rows(14) + seeds
        let (result, info) = try await train(fixture, rows: rows, seeds: seeds, eval: Self.rows(8, offset: 300))
        #expect(result.metrics["dropped_eval_duplicates"] == ["exact": 0, "normalised": 0, "total": 0, "shared_input": 0])
        #expect(info["rows"]?["seeds_included"] == 6)
        #expect(info["rows"]?["per_label"] == ["true": 10, "false": 10])  // 14 + the 6 seeds once
        #expect(info["rows"]?["dropped_seed_repeats"] == 6)
        #expect(!fixture.stage.reporter.logs.contains { $0.contains("repeat an eval row") })
        #expect(fixture.stage.reporter.logs.contains {
            $0 == "train: dropped 6 training rows that repeat a seed row, which is added to training anyway (rows 50, 51, 52, 53, 54 and 1 more)"
        })
        #expect(result.summary?.contains("dropped") == false)
    }

    /// The issue's case: the test set file named as the training set registered 0.972 against an
    /// honest 0.829. Now every training row that is an eval row is dropped; the seed rows stay.
    @Test func theTestSetFileAsTrainingSetLosesEveryEvalRow() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let csv = "input,label\n" + Self.rows(40).map { "\($0.input!),\($0.label!)" }.joined(separator: "\n") + "\n"
        let loaded = try await load(csv, file: "data/test.csv").rows
        try DatasetRows.write(loaded, to: fixture.stage.url("loaded.jsonl"))
        let splitContext = try fixture.stage.context(
            stage: "demo/run/split", params: ["seed": 7, "seed_fraction": 0.2],
            inputs: ["rows": fixture.stage.url("loaded.jsonl")], outputs: ["seeds": "split/seeds.jsonl", "eval": "split/eval.jsonl"])
        _ = try await SplitDataset().run(splitContext)
        let seeds = try DatasetRows.read(from: fixture.stage.url("split/seeds.jsonl"))
        let eval = try DatasetRows.read(from: fixture.stage.url("split/eval.jsonl"))
        #expect(seeds.count == 8)
        #expect(eval.count == 32)

        let (result, info) = try await train(fixture, rows: loaded, seeds: seeds, eval: eval)
        let expected: JSONValue = ["exact": 32, "normalised": 0, "total": 32, "shared_input": 0]
        #expect(result.metrics["dropped_eval_duplicates"] == expected)
        #expect(info["rows"]?["dropped_eval_duplicates"] == expected)
        #expect(info["rows"]?["seeds_included"] == 8)
        #expect(info["rows"]?["per_label"] == ["true": 4, "false": 4])  // the 8 seed rows, once
        #expect(info["rows"]?["dropped_seed_repeats"] == 8)
        let log = try #require(fixture.stage.reporter.logs.first { $0.contains("repeat an eval row") })
        #expect(log.hasPrefix("train: dropped 32 of 40 training rows that repeat an eval row (leakage): 32 exactly (rows "))
        #expect(log.hasSuffix(" and 27 more)"))
        #expect(!log.contains("cat"))  // row numbers, never the text
    }

    @Test func aTrainingSetMadeOnlyOfEvalRowsFailsWithAFix() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let eval = Self.rows(12)
        do {
            _ = try await train(fixture, rows: Array(eval[..<10]), seeds: Self.rows(10, offset: 100), eval: eval)
            Issue.record("training on eval rows alone succeeded")
        } catch let error as TaskError {
            #expect(error.code == .invalidInput)
            #expect(error.message == "too few training rows: 0; all 10 training rows repeat an eval row and were dropped "
                + "(10 exactly (rows 2, 3, 4, 5, 6 and 5 more)), so the metric would be scored on rows it learnt from")
            #expect(error.remedy?.hasPrefix("use a different training set") == true)
        }
    }

    /// A stage built by hand without an `eval` input (before train version 4) still trains.
    @Test func withoutAnEvalInputNothingIsDropped() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let (result, info) = try await train(fixture, rows: Self.rows(20), eval: nil)
        #expect(result.metrics["dropped_eval_duplicates"] == nil)
        #expect(info["rows"]?["dropped_eval_duplicates"] == .null)
        #expect(info["rows"]?["per_label"] == ["true": 10, "false": 10])
    }

    /// `include_seeds: false` changes nothing about the eval check.
    @Test func evalRowsAreDroppedWithoutSeedsToo() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = Self.rows(20)
        let (result, info) = try await train(
            fixture, rows: rows, seeds: Self.rows(4, offset: 100), eval: [rows[1], rows[2]],
            train: ["mode": "head", "include_seeds": false])
        #expect(result.metrics["dropped_eval_duplicates"] == ["exact": 2, "normalised": 0, "total": 2, "shared_input": 0])
        #expect(info["rows"]?["seeds_included"] == 0)
        #expect(info["rows"]?["per_label"] == ["true": 9, "false": 9])
    }

    /// Rows without letters or digits ("👍", "???") normalise to nothing: they match an eval row only exactly.
    @Test func rowsWithoutLettersMatchOnlyExactly() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = Self.rows(20) + [
            CanonicalRow(row: 30, input: "👍", label: "true"), CanonicalRow(row: 31, input: "???", label: "false"),
            CanonicalRow(row: 32, input: "!!", label: "false"),
        ]
        let eval = [CanonicalRow(row: 9, input: "!!", label: "true")]
        let (result, _) = try await train(fixture, rows: rows, eval: eval)
        #expect(result.metrics["dropped_eval_duplicates"] == ["exact": 1, "normalised": 0, "total": 1, "shared_input": 0])
    }
}
