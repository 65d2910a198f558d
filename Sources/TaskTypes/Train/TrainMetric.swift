import Basics
import Scoring
import TaskInterface
import WorkflowModel

/// The `metric` parameter of a `train` stage: the labels in index order and the input format.
struct TrainMetric {
    /// The parameter as given (recorded in `metric.json`).
    var definition: JSONValue
    var name: String
    var labels: [String]
    var format: InputFormat
    var isBoolean: Bool

    /// Reads `params.metric`.
    ///
    /// - Throws: ``TaskError`` naming the key that is missing or malformed.
    init(params: [String: JSONValue], stage: String) throws {
        guard let metric = params["metric"], metric.objectValue != nil else {
            throw TaskErrors.badParameter("metric", expected: "an object with name, output, labels and input", stage: stage)
        }
        definition = metric
        name = metric["name"]?.stringValue ?? "metric"
        isBoolean = metric["output"]?.stringValue == MetricOutput.boolean.rawValue
        let given = metric["labels"]?.arrayValue?.compactMap(\.stringValue) ?? []
        labels = given.isEmpty && isBoolean ? ["false", "true"] : given
        guard labels.count >= 2, Set(labels).count == labels.count else {
            throw TaskErrors.badParameter("metric.labels", expected: "a list of at least 2 distinct labels", stage: stage)
        }
        guard let format = InputFormat(rawValue: metric["input"]?.stringValue ?? InputFormat.message.rawValue) else {
            let known = InputFormat.allCases.map(\.rawValue).joined(separator: ", ")
            throw TaskErrors.badParameter("metric.input", expected: "one of \(known)", stage: stage)
        }
        self.format = format
    }

    /// Each row's label index; rows at positions `trainingRows...` are seed rows.
    ///
    /// - Throws: ``TaskError`` naming the row (its source row number) that is unlabelled or has an unknown label.
    func labelIndices(of rows: [CanonicalRow], trainingRows: Int) throws -> [Int] {
        var index: [String: Int] = [:]
        for (position, label) in labels.enumerated() { index[label] = position }
        return try rows.enumerated().map { position, row in
            let which = position < trainingRows ? "training row" : "seed row"
            guard let label = row.label else {
                throw TaskError("\(which) \(row.row) has no label; training needs every row labelled",
                                remedy: "label the training set (or let the label stage do it)", code: .invalidInput)
            }
            guard let value = index[label] else {
                throw TaskError("\(which) \(row.row) has label '\(label)', which is not one of the metric's labels "
                                    + labels.map { "'\($0)'" }.joined(separator: ", "),
                                remedy: "fix the row's label or add it to the metric's labels", code: .invalidInput)
            }
            return value
        }
    }
}
