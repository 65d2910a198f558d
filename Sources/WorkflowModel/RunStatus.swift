/// A run's lifecycle status, as the reference product shows it.
public enum RunStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case queued
    case generatingData = "generating data"
    case dataReady = "data ready"
    case training
    case fineTuned = "fine-tuned"
    case registered
    case failed
    case cancelled
}
