import Basics
import TaskInterface

/// The `generate:` settings of a run, with the reference product's defaults.
///
/// | param | default | meaning |
/// |---|---|---|
/// | `count` | 2000 | training rows to write |
/// | `context_examples` | 5 | seed rows shown in each prompt (1 is wise for `rag` and `tools`) |
/// | `examples_per_call` | 10 | rows asked for in each call |
/// | `label_distribution` | the seeds' | label → weight; the share of calls asking for each label |
/// | `instructions` | none | appended to every prompt |
/// | `feedback` | none | reviewer feedback appended to every prompt (`lunette review --reject`) |
/// | `review_sample` | 50 | rows copied to the `review` output |
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

    init(params: [String: JSONValue], metric: LabelingMetric, seeds: [CanonicalRow], stage: String) throws {
        func integer(_ key: String, minimum: Int) throws -> Int? {
            guard let value = params[key] else { return nil }
            guard let number = value.intValue, number >= minimum else {
                throw TaskErrors.badParameter(key, expected: "an integer ≥ \(minimum)", stage: stage)
            }
            return number
        }
        count = try integer("count", minimum: 1) ?? count
        contextExamples = try integer("context_examples", minimum: 0) ?? contextExamples
        examplesPerCall = try integer("examples_per_call", minimum: 1) ?? examplesPerCall
        reviewSample = try integer("review_sample", minimum: 0) ?? reviewSample
        seed = params["seed"]?.intValue ?? seed
        instructions = params["instructions"]?.stringValue
        feedback = params["feedback"]?.stringValue
        maxCalls = try integer("max_calls", minimum: 1) ?? (2 * plannedCalls + 5)

        if case .object(let given)? = params["label_distribution"], !given.isEmpty {
            for key in given.keys.sorted() where !metric.labels.contains(key) {
                throw TaskError(
                    "\(stage): label_distribution names '\(key)', which is not a label of \(metric.name) "
                        + "(\(metric.labels.joined(separator: ", ")))",
                    remedy: "use the metric's labels in generate.label_distribution")
            }
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
