import Basics
import Foundation
import RunStore
import TaskInterface

/// The ``MetricRegistry`` the engine hands to `register` stages: the store's registry tables.
struct StoreRegistry: MetricRegistry {
    let store: RunStore
    let root: URL
    let now: @Sendable () -> Date

    func register(_ request: RegistrationRequest) throws -> RegistrationResult {
        let manifest = try? ContentHash.ofFile(at: root.appendingPathComponent(request.manifestPath).path).hash
        let (metric, isNew) = try store.register(
            name: request.name, modelDigest: request.modelDigest.description,
            reportDigest: request.reportDigest?.description, project: request.project, run: request.run,
            manifestDigest: manifest?.description, summary: request.summary.canonicalText, at: now())
        return RegistrationResult(name: metric.name, version: metric.version, isNew: isNew)
    }

    func holds(name: String, version: Int, modelDigest: ContentHash) -> Bool? {
        guard let metric = try? store.resolveMetric("\(name)@\(version)") else { return false }
        return metric.modelDigest == modelDigest.description
    }
}
