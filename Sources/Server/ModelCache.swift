import Foundation
import RunStore
import Scoring
import Workspace

/// Registered models loaded once per `name@version` and kept warm, each behind its ``ModelBatcher``.
///
/// Loading happens once even when many requests ask at the same time: they share one loading task.
actor ModelCache {
    private let workspace: Workspace
    private let configuration: ServerConfiguration
    private let metrics: ServerMetrics
    private var entries: [String: Task<ModelBatcher, any Error>] = [:]

    init(workspace: Workspace, configuration: ServerConfiguration, metrics: ServerMetrics) {
        self.workspace = workspace
        self.configuration = configuration
        self.metrics = metrics
    }

    /// The batcher of `metric`'s model, loading the model the first time.
    func batcher(for metric: RegisteredMetric) async throws -> ModelBatcher {
        let key = metric.reference
        if let entry = entries[key] { return try await entry.value }
        let workspace = workspace
        let configuration = configuration
        let metrics = metrics
        let task = Task<ModelBatcher, any Error>.detached {
            let clock = ContinuousClock()
            let start = clock.now
            // Read-through: a model only the remote cache has is fetched first.
            let folder = try await workspace.modelFolder(for: metric, readingThrough: true)
            let model = try MetricModel(
                folder: folder, threads: configuration.threads,
                batchSize: max(1, min(configuration.maxBatchRows, 64)))
            metrics.modelLoaded(metric.reference, duration: clock.now - start)
            return ModelBatcher(
                model: model, label: key, window: configuration.batchWindow, capacity: configuration.maxQueuedRows,
                maxBatch: configuration.maxBatchRows, onBatch: { metrics.batchScored(rows: $0) })
        }
        entries[key] = task
        do {
            return try await task.value
        } catch {
            entries[key] = nil  // let a later request retry (the cache may have been repaired)
            throw error
        }
    }

    /// The references loaded (or loading), sorted.
    var loaded: [String] { entries.keys.sorted() }
}
