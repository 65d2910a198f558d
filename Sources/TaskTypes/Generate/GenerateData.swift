import Basics
import Foundation
import Providers
import Scoring
import TaskInterface
import WorkflowModel

/// The `generate` stage: asks the provider for new labelled rows like the seeds, keeps the valid
/// ones that repeat no seed, no eval row and no other generated row, and writes `count` of them.
///
/// Inputs `seeds` and `eval` (from `split`); outputs `rows` (canonical JSONL, numbered from 1, ids
/// `g<call>.<n>`) and `review` (`review_sample` of those rows, chosen by the seed). Params are the
/// manifest's `generate:` settings (see ``GenerateSettings``) plus `metric`, `seed` and `provider`.
///
/// Call *i* asks for `examples_per_call` rows of the label the weighted round-robin gives it,
/// showing `context_examples` seed rows picked by a generator seeded from the seed and *i*. So a
/// call's request depends only on *i*, the seeds and the settings: through the call cache
/// (``ProviderCallCache``) an interrupted run resumes where it stopped, a larger `count` makes only
/// the new calls, and a rerun makes none. Rows are kept in call order and the first `count` are
/// written. When filtering leaves too few, more calls are made, up to `max_calls`.
///
/// With the offline provider the rows are variations of the seeds (``OfflineProvider``), made
/// locally and byte-identical from run to run.
public struct GenerateData: TaskType {
    public static let id = "generate"
    /// 2: text without letters or digits is compared exactly only (it had matched every such row).
    public static let version = 2
    public var isDeterministic: Bool { false }
    public var statusWhileRunning: RunStatus? { .generatingData }
    /// How calls are retried (tests make it quick).
    public var retryPolicy: RetryPolicy

    public init(retryPolicy: RetryPolicy = RetryPolicy()) {
        self.retryPolicy = retryPolicy
    }

    /// "about 200 provider calls (~170k tokens, estimated), each cached": from `count` and
    /// `examples_per_call`; the estimate assumes ~400 prompt tokens and ~60 tokens per generated row.
    public func planNote(params: [String: JSONValue]) -> String? {
        if params["provider"]?["kind"]?.stringValue == "offline" { return "offline provider: no network calls" }
        let count = params["count"]?.intValue ?? 2000
        let perCall = max(1, params["examples_per_call"]?.intValue ?? 10)
        let calls = (count + perCall - 1) / perCall
        let tokens = calls * (400 + 60 * perCall)
        return "about \(calls) provider calls (~\(tokens / 1000)k tokens, estimated; calls already answered are cached)"
    }

    public func preflight(params: [String: JSONValue], environment: [String: String]) -> [String] {
        ProviderCallCache.preflight(params: params, environment: environment, stage: "generate")
    }

    public func run(_ context: StageContext) async throws -> StageResult {
        let stage = context.stageID.description
        let metric = try LabelingMetric(params: context.params, stage: stage)
        let seeds = try DatasetRows.read(from: context.input("seeds"))
        let eval = try DatasetRows.read(from: context.input("eval"))
        guard !seeds.isEmpty else {
            throw TaskError("\(stage): there are no seed rows to generate from", remedy: "add rows to the test set", code: .invalidInput)
        }
        let settings = try GenerateSettings(params: context.params, metric: metric, seeds: seeds, stage: stage)
        let configuration = try ProviderCallCache.configuration(context)
        var run = GenerateRun(metric: metric, settings: settings, seeds: seeds, eval: eval)

        let metrics = try await ProviderCallCache.withProvider(
            context, configuration: configuration, seed: settings.seed, retryPolicy: retryPolicy
        ) { cache in
            try await run.generate(with: cache, context: context)
            return cache.metrics
        }
        let rows = run.accepted.enumerated().map { offset, row in
            var row = row
            row.row = offset + 1
            return row
        }
        try DatasetRows.write(rows, to: context.output("rows"))
        try DatasetRows.write(GenerateData.reviewSample(rows, size: settings.reviewSample, seed: settings.seed), to: context.output("review"))
        return run.result(rowCount: rows.count, providerMetrics: metrics, provider: configuration)
    }

    /// `size` rows picked by a seeded shuffle, in row order.
    static func reviewSample(_ rows: [CanonicalRow], size: Int, seed: Int) -> [CanonicalRow] {
        var indices = Array(rows.indices)
        var generator = SeededGenerator(seed: seed)
        indices.seededShuffle(using: &generator)
        return indices.prefix(size).sorted().map { rows[$0] }
    }
}

/// The state of one generate execution: calls made, rows kept, rows dropped and why.
struct GenerateRun {
    let metric: LabelingMetric
    let settings: GenerateSettings
    let seeds: [CanonicalRow]
    var filter: GenerateFilter
    let labels: [String]
    var accepted: [CanonicalRow] = []
    var dropped: [String: Int] = [:]
    var unparseable = 0
    var callsUsed = 0

    init(metric: LabelingMetric, settings: GenerateSettings, seeds: [CanonicalRow], eval: [CanonicalRow]) {
        self.metric = metric
        self.settings = settings
        self.seeds = seeds
        filter = GenerateFilter(fields: metric.fields, eval: eval, seeds: seeds)
        labels = settings.labelSequence(settings.maxCalls)
    }

    /// Makes calls in rounds until `count` rows are kept or `max_calls` are used.
    mutating func generate(with cache: ProviderCallCache, context: StageContext) async throws {
        let prompt = GeneratePrompt(metric: metric, settings: settings)
        let perCall = settings.examplesPerCall
        while accepted.count < settings.count, callsUsed < settings.maxCalls {
            let wanted = (settings.count - accepted.count + perCall - 1) / perCall
            let batch = callsUsed..<min(settings.maxCalls, callsUsed + wanted)
            let answers = try await answer(batch, prompt: prompt, cache: cache)
            for call in batch {
                guard let parsed = answers[call] else { continue }
                if parsed.isUnparseable { unparseable += 1 }
                for (reason, n) in parsed.invalid { dropped["invalid: \(reason)", default: 0] += n }
                for (index, row) in parsed.rows.enumerated() where accepted.count < settings.count {
                    if let drop = filter.admit(row) {
                        dropped[drop.rawValue, default: 0] += 1
                        continue
                    }
                    var kept = row
                    kept.id = "g\(call).\(index + 1)"
                    accepted.append(kept)
                }
            }
            callsUsed = batch.upperBound
            context.reporter.progress(completed: accepted.count, total: settings.count, label: "rows")
        }
    }

    /// The parsed answers of calls in `batch`, at most `max_concurrency` at a time.
    ///
    /// When a call fails for good, no further call starts, but the calls in flight run to their end
    /// (so their answers, already paid for, are cached for the rerun) before the first failure is thrown.
    func answer(_ batch: Range<Int>, prompt: GeneratePrompt, cache: ProviderCallCache) async throws -> [Int: GeneratePrompt.Parsed] {
        let stage = "generate"
        let jobs = batch.map { call -> (Int, String, [CanonicalRow]) in
            let label = labels[call]
            return (call, label, settings.contextRows(for: call, label: label, seeds: seeds))
        }
        if let offline = cache.provider as? OfflineProvider {
            var results: [Int: GeneratePrompt.Parsed] = [:]
            for (call, label, _) in jobs {
                results[call] = offlineRows(offline, call: call, label: label)
            }
            return results
        }
        let perCall = settings.examplesPerCall
        let values = try await BoundedCalls.run(count: jobs.count, limit: cache.configuration.maxConcurrency) {
            index -> Result<GeneratePrompt.Parsed, TaskError> in
            let (call, label, examples) = jobs[index]
            do {
                let response = try await cache.complete(prompt.request(call: call, label: label, examples: examples, count: perCall))
                return .success(prompt.parse(response.text, label: label, examples: examples))
            } catch let error as ProviderError {
                return .failure(ProviderCallCache.taskError(error, stage: stage))
            }
        }
        var results: [Int: GeneratePrompt.Parsed] = [:]
        for (index, value) in values.enumerated() {
            if let value { results[jobs[index].0] = value }
        }
        return results
    }

    /// Variations of the seeds of `label` (all seeds when it has none) for offline call `call`.
    func offlineRows(_ provider: OfflineProvider, call: Int, label: String) -> GeneratePrompt.Parsed {
        var pool = seeds.filter { $0.label == label }
        if pool.isEmpty { pool = seeds }
        let textFields = metric.fields.filter { $0 == "input" || $0 == "output" }
        let examples = pool.map { row in
            OfflineProvider.Example(
                texts: Dictionary(uniqueKeysWithValues: textFields.compactMap { field in
                    row.jsonValue[field]?.stringValue.map { (field, $0) }
                }), label: row.label ?? label)
        }
        var parsed = GeneratePrompt.Parsed()
        for variation in provider.augment(examples, count: settings.examplesPerCall, call: call) {
            var row = pool[variation.source]
            row.row = 0
            row.id = nil
            row.extra = [:]
            if let input = variation.texts["input"] { row.input = input }
            if let output = variation.texts["output"] { row.output = output }
            row.label = variation.label
            parsed.rows.append(row)
        }
        return parsed
    }

    func result(rowCount: Int, providerMetrics: [String: JSONValue], provider: ProviderConfiguration) -> StageResult {
        var warnings: [String] = []
        if rowCount < settings.count {
            warnings.append(
                "generated \(rowCount) of \(settings.count) rows in \(callsUsed) calls (max_calls); "
                    + "add seed rows, raise max_calls, or lower count")
        }
        if unparseable > 0 { warnings.append("\(unparseable) answer\(unparseable == 1 ? " was" : "s were") not JSON and gave no rows") }
        let droppedTotal = dropped.values.reduce(0, +)
        let droppedText = dropped.keys.sorted().map { "\(dropped[$0] ?? 0) \($0)" }.joined(separator: ", ")
        var labelCounts: [String: JSONValue] = [:]
        for label in metric.labels { labelCounts[label] = .int(0) }
        for row in accepted { if let label = row.label { labelCounts[label] = .int((labelCounts[label]?.intValue ?? 0) + 1) } }
        var metrics = providerMetrics
        metrics["rows"] = .int(rowCount)
        metrics["calls"] = .int(callsUsed)
        metrics["unparseable_answers"] = .int(unparseable)
        metrics["dropped"] = .object(dropped.mapValues { .int($0) })
        metrics["labels"] = .object(labelCounts)
        let calls = providerMetrics["provider_calls"]?.intValue ?? 0
        let cached = providerMetrics["cached_calls"]?.intValue ?? 0
        let source = provider.kind == .offline ? "offline variations of the seeds" : "\(calls) new calls, \(cached) cached"
        return StageResult(
            summary: "generated \(rowCount) rows (\(source)); dropped \(droppedTotal)"
                + (droppedTotal > 0 ? " (\(droppedText))" : ""),
            warnings: warnings, metrics: metrics)
    }
}
