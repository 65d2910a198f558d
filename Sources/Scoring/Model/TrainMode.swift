/// How a metric's model was trained, as `metric.json`'s `mode` records it (`train.mode`).
///
/// `TrainSettings.Mode` in `TaskTypes` is this type: the train stage writes it and scoring reads it
/// back, so it lives where both can see it.
public enum TrainMode: String, Sendable, CaseIterable {
    /// Chosen per run between `head` and `full` on out-of-fold scores.
    case auto
    /// A linear head on the frozen encoder's pooled embeddings.
    case head
    /// Every parameter fine-tuned by backpropagation.
    case full
}
