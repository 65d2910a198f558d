import Basics
import Foundation
import Scoring
@_spi(Fuzzing) import TaskTypes
import TaskInterface
import WorkflowModel

/// The ``FuzzTarget/traces`` target: the input is a trace export (OTLP, Phoenix, Langfuse or plain JSONL).
///
/// Invariants: every row of every step, written as the canonical line the `import` stage stores,
/// reads back (with the parser later stages use) as the same row.
enum TraceFuzzing {
    static func run(_ data: Data) throws -> FuzzOutcome {
        let target = FuzzTarget.traces
        let imported: (spans: Int, rows: [MetricStep: [CanonicalRow]])
        do {
            imported = try FuzzEntryPoints.importTraces(data, path: "data/fuzz.jsonl")
        } catch let error as TaskError {
            return .rejected(error.message)
        }
        var total = 0
        for step in MetricStep.allCases {
            for row in imported.rows[step] ?? [] {
                total += 1
                let line = row.canonicalLine
                let again: CanonicalRow
                do {
                    again = try CanonicalRow(json: FuzzEntryPoints.parseJSONLine(Array(line.utf8)))
                } catch {
                    throw InvariantViolation(target: target, message: "the \(step.rawValue) row \(line) does not read back: \(error)")
                }
                try target.require(again == row, "the \(step.rawValue) row \(line) reads back as \(again.canonicalLine)")
            }
        }
        return .accepted("\(imported.spans) span(s), \(total) row(s) over all steps")
    }
}
