import Basics
import Foundation
import TaskInterface
import Testing

@testable import Scoring
@testable import TaskTypes

@Suite struct SplitDatasetTests {
    /// Rows numbered from 2, with labels `a` × 10, `b` × 5, `c` × 1 interleaved.
    static let rows: [CanonicalRow] = (0..<16).map { index in
        let label = index < 10 ? "a" : index < 15 ? "b" : "c"
        return CanonicalRow(row: 2 + (index * 7) % 16, input: "text \(index)", label: label)
    }.sorted { $0.row < $1.row }

    struct Outcome {
        var result: StageResult
        var seeds: String
        var eval: String
    }

    func split(_ rows: [CanonicalRow], params: [String: JSONValue]) async throws -> Outcome {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        try DatasetRows.write(rows, to: fixture.url("rows.jsonl"))
        let context = try fixture.context(
            params: params, inputs: ["rows": fixture.url("rows.jsonl")],
            outputs: ["seeds": "out/seeds.jsonl", "eval": "out/eval.jsonl"])
        let result = try await SplitDataset().run(context)
        return Outcome(
            result: result, seeds: try fixture.read("out/seeds.jsonl"), eval: try fixture.read("out/eval.jsonl"))
    }

    func parse(_ text: String) throws -> [CanonicalRow] {
        try text.split(separator: "\n").map { try CanonicalRow(json: JSONLineParser.parse(Array($0.utf8))) }
    }

    @Test("split's settings are checked through its schema, in the words lunette check uses")
    func settingsChecked() async throws {
        for (params, key) in [(["seed_fraction": 1.5], "seed_fraction"), (["group_by": ""], "group_by"),
                              (["seed_fraction": "0.3"], "seed_fraction")] as [([String: JSONValue], String)] {
            do {
                _ = try await split(Self.rows, params: params)
                Issue.record("\(params) was accepted")
            } catch let error as TaskError {
                #expect(error.code == .invalidInput)
                #expect(error.message.contains("split.\(key): "), "\(error.message)")
            }
        }
    }

    @Test func stratifiedCountsAreExact() async throws {
        let outcome = try await split(Self.rows, params: ["seed": 42])
        let seeds = try parse(outcome.seeds)
        let eval = try parse(outcome.eval)
        // a: round(10 × 0.2) = 2; b: round(5 × 0.2) = 1; c: a single row stays in eval.
        #expect(seeds.filter { $0.label == "a" }.count == 2)
        #expect(seeds.filter { $0.label == "b" }.count == 1)
        #expect(seeds.filter { $0.label == "c" }.count == 0)
        #expect(eval.count == 13)
        #expect(outcome.result.summary == "split 16 rows: 3 seeds, 13 eval (stratified by label, seed 42)")
        #expect(outcome.result.metrics["labels"]?["b"] == ["seeds": 1, "eval": 4])
    }

    @Test func seedsAndEvalPartitionTheRowsInFileOrder() async throws {
        let outcome = try await split(Self.rows, params: ["seed": 7, "seed_fraction": 0.5])
        let seeds = try parse(outcome.seeds)
        let eval = try parse(outcome.eval)
        #expect(Set(seeds.map(\.row)).isDisjoint(with: eval.map(\.row)))
        #expect(Set(seeds.map(\.row)).union(eval.map(\.row)) == Set(Self.rows.map(\.row)))
        #expect(seeds.map(\.row) == seeds.map(\.row).sorted())
        #expect(eval.map(\.row) == eval.map(\.row).sorted())
        #expect(Set(seeds + eval) == Set(Self.rows))
    }

    @Test func sameSeedGivesByteIdenticalOutputs() async throws {
        let first = try await split(Self.rows, params: ["seed": 42])
        let second = try await split(Self.rows, params: ["seed": 42])
        #expect(first.seeds == second.seeds)
        #expect(first.eval == second.eval)
    }

    @Test func differentSeedGivesADifferentSplit() async throws {
        let first = try await split(Self.rows, params: ["seed": 42, "seed_fraction": 0.5])
        let second = try await split(Self.rows, params: ["seed": 43, "seed_fraction": 0.5])
        #expect(first.seeds != second.seeds)
    }

    @Test func splitIsPinned() async throws {
        // A regression pin: changing the generator or the shuffle changes every user's split.
        let outcome = try await split(Self.rows, params: ["seed": 42])
        #expect(try parse(outcome.seeds).map(\.row) == SplitDatasetTests.pinnedSeedRows)
    }

    /// Computed independently (a Python transcription of SplitMix64 + Fisher–Yates).
    static let pinnedSeedRows = [2, 8, 17]

    @Test(arguments: [(0, 0), (1, 0), (2, 1), (3, 1), (5, 1), (8, 2), (10, 2), (13, 3), (512, 102)])
    func seedCounts(_ n: Int, _ expected: Int) {
        #expect(SplitDataset.seedCount(n, fraction: 0.2) == expected)
    }

    @Test func largeFractionStillLeavesOneForEval() {
        #expect(SplitDataset.seedCount(2, fraction: 0.9) == 1)
        #expect(SplitDataset.seedCount(10, fraction: 0.99) == 9)
    }

    @Test func unlabelledRowsAreAnError() async throws {
        var rows = Self.rows
        rows[3].label = nil
        do {
            _ = try await split(rows, params: ["seed": 1])
            Issue.record("split succeeded")
        } catch let error as TaskError {
            #expect(error.message == "split needs every row labelled, but 1 row is not (rows \(rows[3].row))")
            #expect(error.code == .invalidInput)
        }
    }

    @Test(arguments: [0.0, 1.0, -0.5, 2.0])
    func fractionMustBeStrictlyBetweenZeroAndOne(_ fraction: Double) async throws {
        await #expect(throws: TaskError.self) {
            _ = try await split(Self.rows, params: ["seed_fraction": .double(fraction)])
        }
    }
}
