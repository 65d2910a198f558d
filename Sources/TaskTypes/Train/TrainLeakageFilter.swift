import Basics
import Scoring
import TaskInterface
import WorkflowModel

/// Drops training rows that repeat an eval row, so a metric is never scored on rows it learnt from.
///
/// The `train` stage's `rows` (an upload, labelled or labelled by the judge; imported traces after
/// `label`; generated rows) are matched against its `eval` input (the split's eval rows) with
/// ``GenerateFilter``'s keys over the metric's input fields: **exactly** (the same fields; for a pair
/// such as `input_output`, the same input *and* output) or **by normalised text** (lower-cased, every
/// run of characters other than letters and digits read as one space). Labels are not compared: a
/// repeated text leaks whatever its label. Seed rows are not matched (training on them is by design),
/// nor are training rows matched with each other. `generate` already dropped its rows that repeat an
/// eval row, so generated rows lose none here.
///
/// A stage without an `eval` input (one built by hand before train version 4) is left as it is.
struct TrainLeakageFilter {
    /// What was dropped: the row numbers (``CanonicalRow/row``) of the training rows, by reason.
    struct Report: Equatable {
        var exact: [Int] = []
        var normalised: [Int] = []
        /// The number of training rows before dropping.
        var checked = 0
        /// Pair formats: kept training rows whose input (the first field: input, documents, tools) is an eval
        /// row's too. Not dropped (another output of the same input is a fair training row), but a model can
        /// learn the input's label instead of judging the pair, so the stage warns.
        var sharedInput = 0

        /// The stage's warning about ``sharedInput``, if any.
        var sharedInputWarning: String? {
            guard sharedInput > 0 else { return nil }
            return "\(sharedInput) training \(sharedInput == 1 ? "row shares its" : "rows share their") input with an eval row: "
                + "a model can learn an input's label instead of judging the pair, and score wrongly on that input's other "
                + "outputs; keep each input on one side (a training set without the test set's inputs, and split: {group_by: …})"
        }

        var total: Int { exact.count + normalised.count }

        /// `rows.dropped_eval_duplicates` of `metric.json` and the stage metric of the same name.
        var json: JSONValue {
            ["exact": .int(exact.count), "normalised": .int(normalised.count), "total": .int(total),
             "shared_input": .int(sharedInput)]
        }

        /// Appended to the stage's summary line; empty when nothing was dropped.
        var summarySuffix: String {
            total == 0 ? "" : "; dropped \(total) training \(total == 1 ? "row" : "rows") repeating eval rows"
        }

        /// How many were dropped and why, with the first few row numbers of each reason (never the text).
        var description: String {
            var parts: [String] = []
            if !exact.isEmpty { parts.append("\(exact.count) exactly (\(Self.rowList(exact)))") }
            if !normalised.isEmpty { parts.append("\(normalised.count) by normalised text (\(Self.rowList(normalised)))") }
            return parts.joined(separator: ", ")
        }

        static func rowList(_ rows: [Int], shown: Int = 5) -> String {
            let head = rows.prefix(shown).map(String.init).joined(separator: ", ")
            return (rows.count == 1 ? "row " : "rows ") + head + (rows.count > shown ? " and \(rows.count - shown) more" : "")
        }
    }

    private let keys: GenerateFilter
    /// Pair formats: the first field's keys, and the eval rows' normalised first fields.
    private let inputs: (keys: GenerateFilter, eval: Set<String>)?

    /// A filter against `eval`, comparing the fields a row of `format` holds.
    init(format: InputFormat, eval: [CanonicalRow]) {
        keys = GenerateFilter(fields: format.requiredFields + format.optionalFields, eval: eval, seeds: [])
        if format.requiredFields.count > 1, let field = format.requiredFields.first {
            let first = GenerateFilter(fields: [field], eval: [], seeds: [])
            inputs = (first, Set(eval.map(first.normalisedKey).filter { !$0.isEmpty }))
        } else {
            inputs = nil
        }
    }

    /// Removes the rows that repeat an eval row from `rows`, keeping the others in order, and counts the
    /// kept rows of a pair format whose first field is an eval row's first field.
    func drop(from rows: inout [CanonicalRow]) -> Report {
        var report = Report(checked: rows.count)
        rows.removeAll { row in
            switch keys.evalDuplicate(row) {
            case .evalExact?: report.exact.append(row.row)
            case .evalNormalised?: report.normalised.append(row.row)
            default: return false
            }
            return true
        }
        if let inputs { report.sharedInput = rows.filter { inputs.eval.contains(inputs.keys.normalisedKey($0)) }.count }
        return report
    }

    /// Removes the training rows that exactly repeat a seed row, label included, and returns their row
    /// numbers: with `include_seeds` the seed is added to training anyway, so the copy would count twice
    /// and could sit on both sides of a cross-validation fold (a training set that contains the test set).
    static func dropSeedRepeats(from rows: inout [CanonicalRow], seeds: [CanonicalRow], format: InputFormat) -> [Int] {
        let keys = GenerateFilter(fields: format.requiredFields + format.optionalFields, eval: [], seeds: [])
        let seen = Set(seeds.map { [keys.exactKey($0), $0.label ?? ""] })
        var dropped: [Int] = []
        rows.removeAll { row in
            guard seen.contains([keys.exactKey(row), row.label ?? ""]) else { return false }
            dropped.append(row.row)
            return true
        }
        return dropped
    }

    /// Drops the training rows of `context` that repeat one of its `eval` rows, and logs what went.
    ///
    /// - Returns: what was dropped; `nil` when the stage has no `eval` input.
    /// - Throws: ``TaskError`` (`invalid-input`) when every training row repeats an eval row: the
    ///   training set is the test set (or a copy), and a metric trained on it would be scored on
    ///   what it learnt.
    static func apply(to rows: inout [CanonicalRow], context: StageContext, format: InputFormat) throws -> Report? {
        guard let evalFile = context.inputs["eval"] else { return nil }
        let report = TrainLeakageFilter(format: format, eval: try DatasetRows.read(from: evalFile)).drop(from: &rows)
        if let warning = report.sharedInputWarning { context.reporter.log("train: warning: " + warning) }
        guard report.total > 0 else { return report }
        context.reporter.log("train: dropped \(report.total) of \(report.checked) training rows that repeat an eval row "
            + "(leakage): \(report.description)")
        if rows.isEmpty {
            throw TaskError(
                "too few training rows: 0; all \(report.checked) training rows repeat an eval row and were dropped "
                    + "(\(report.description)), so the metric would be scored on rows it learnt from",
                remedy: "use a different training set: not the test set file or a copy of it (the test set's seed rows "
                    + "are added to training already); upload other labelled rows, or `generate` rows from the seeds",
                code: .invalidInput)
        }
        return report
    }
}
