import Foundation
import Prometheus

/// The server's Prometheus metrics, served as text at `/metrics`.
///
/// Requests (by route and status class), request latency, scored batch sizes and model load
/// time. Each server has its own registry, so several servers in one process (tests) stay apart.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let batchSizes: ValueHistogram
    private let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    public init() {
        batchSizes = registry.makeValueHistogram(
            descriptor: Self.name("batch", "rows", "Rows scored per encoder batch"), buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512])
    }

    /// Counts one request and records how long it took.
    func request(route: String, status: Int, duration: Duration) {
        let labels = [("route", route), ("status", "\(status / 100)xx")]
        registry.makeCounter(descriptor: Self.name("http_requests", "total", "HTTP requests answered"), labels: labels).increment()
        registry.makeDurationHistogram(
            descriptor: Self.name("http_request_duration", "seconds", "Time to answer an HTTP request"), labels: [("route", route)],
            buckets: latencyBuckets
        ).record(duration)
    }

    /// Records one scored batch.
    func batchScored(rows: Int) {
        batchSizes.record(Double(rows))
        registry.makeCounter(descriptor: Self.name("rows_scored", "total", "Rows scored")).increment(by: Int64(rows))
    }

    /// Records a model load.
    func modelLoaded(_ reference: String, duration: Duration) {
        registry.makeGauge(
            descriptor: Self.name("model_load", "seconds", "Time taken to load a model"), labels: [("metric", reference)]
        ).record(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    /// Counts a request refused because the queue was full.
    func overloaded() {
        registry.makeCounter(descriptor: Self.name("overloaded", "total", "Requests refused with 503 (queue full)")).increment()
    }

    /// `lunette_<name>_<unit>`.
    private static func name(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "lunette", metricName: name, unitName: unit, helpText: help)
    }

    /// The exposition text.
    public func text() -> String { registry.emitToString() }
}
