import Basics
import Scoring
import TaskInterface

/// The `generate:` settings of a run, with the reference product's defaults.
///
/// The manifest's keys (`count`, `context_examples`, `examples_per_call`, `label_distribution`,
/// `instructions`, `review_sample`, `provider`), their limits and defaults are declared once in
/// ``schema``. The stage also takes:
///
/// | param | default | meaning |
/// |---|---|---|
/// | `feedback` | none | reviewer feedback appended to every prompt (`lunette review --reject`) |
/// | `max_calls` | 2 × count ÷ examples_per_call + 5 | stop asking after this many calls |
/// | `seed` | the run's | context choice, review sample, offline variations |
struct GenerateSettings: Sendable {
    var count = 2000
    var contextExamples = 5
    var examplesPerCall = 10
    /// Label → weight, only labels with a positive weight, in the metric's label order.
    var distribution: [(label: String, weight: Double)] = []
    var instructions: String?
    var feedback: String?
    var reviewSample = 50
    var maxCalls = 0
    var seed = 42

    /// Calls that would give `count` rows if every row were kept.
    var plannedCalls: Int { (count + examplesPerCall - 1) / examplesPerCall }

    /// Reads the stage's params, checking the manifest's keys through ``schema`` (the check `lunette check`
    /// runs) and `max_calls` here.
    init(params: [String: JSONValue], metric: LabelingMetric, seeds: [CanonicalRow], stage: String) throws {
        try Self.schema.checkStage(params, labels: metric.labels, stage: stage)
        func value(_ key: String) -> JSONValue? { params[key] ?? Self.schema[key]?.defaultValue }
        count = value("count")?.intValue ?? count
        contextExamples = value("context_examples")?.intValue ?? contextExamples
        examplesPerCall = value("examples_per_call")?.intValue ?? examplesPerCall
        reviewSample = value("review_sample")?.intValue ?? reviewSample
        seed = params["seed"]?.intValue ?? seed
        instructions = params["instructions"]?.stringValue
        feedback = params["feedback"]?.stringValue
        if let value = params["max_calls"] {
            guard let calls = value.intValue, calls >= 1 else {
                throw TaskErrors.badParameter("max_calls", expected: "an integer ≥ 1", stage: stage)
            }
            maxCalls = calls
        } else {
            maxCalls = 2 * plannedCalls + 5
        }

        if case .object(let given)? = params["label_distribution"], !given.isEmpty {
            distribution = metric.labels.compactMap { label in
                guard let weight = given[label]?.doubleValue, weight > 0 else { return nil }
                return (label, weight)
            }
        } else {
            distribution = metric.labels.compactMap { label in
                let n = seeds.filter { $0.label == label }.count
                return n > 0 ? (label, Double(n)) : nil
            }
        }
        guard !distribution.isEmpty else {
            throw TaskError(
                "\(stage): no label has a positive weight", remedy: "give generate.label_distribution a positive weight")
        }
    }

    /// The label each call asks for, for calls `0..<n`: a smooth weighted round-robin, so that the
    /// first calls never depend on how many there will be (raising `count` keeps every earlier
    /// call, and its cached answer, the same).
    func labelSequence(_ n: Int) -> [String] {
        let total = distribution.reduce(0) { $0 + $1.weight }
        var current = [Double](repeating: 0, count: distribution.count)
        var sequence: [String] = []
        sequence.reserveCapacity(n)
        for _ in 0..<n {
            var best = 0
            for index in distribution.indices {
                current[index] += distribution[index].weight
                if current[index] > current[best] + 1e-12 { best = index }
            }
            current[best] -= total
            sequence.append(distribution[best].label)
        }
        return sequence
    }

    /// The seed rows shown in call `call`: up to ``contextExamples`` of `label` first, then others,
    /// chosen by a generator seeded from the seed and the call index.
    func contextRows(for call: Int, label: String, seeds: [CanonicalRow]) -> [CanonicalRow] {
        var generator = SeededGenerator(seed: UInt64(bitPattern: Int64(seed)) &+ UInt64(call) &* 0x9E37_79B9_7F4A_7C15)
        var same = seeds.filter { $0.label == label }
        var others = seeds.filter { $0.label != label }
        same.seededShuffle(using: &generator)
        others.seededShuffle(using: &generator)
        let fromSame = Array(same.prefix(contextExamples))
        return fromSame + others.prefix(max(0, contextExamples - fromSame.count))
    }
}
