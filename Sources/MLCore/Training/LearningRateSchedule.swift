/// A linear warm-up from 0 to the peak over the first steps, then a linear decay to 0 at the last step,
/// as `transformers`' `get_linear_schedule_with_warmup`.
///
/// ```swift
/// let schedule = LearningRateSchedule(peak: 5e-5, totalSteps: 100, warmupRatio: 0.1)   // 10 warm-up steps
/// schedule.rate(atStep: 5)    // 2.5e-5
/// schedule.rate(atStep: 55)   // 2.5e-5
/// ```
public struct LearningRateSchedule: Sendable, Equatable {
    /// The rate at the end of warm-up.
    public var peak: Float
    public var totalSteps: Int
    /// `ceil(totalSteps · warmupRatio)`.
    public var warmupSteps: Int

    public init(peak: Float, totalSteps: Int, warmupRatio: Float) {
        self.peak = peak
        self.totalSteps = max(1, totalSteps)
        warmupSteps = Int((warmupRatio * Float(max(1, totalSteps))).rounded(.up))
    }

    /// The learning rate of the step with 0-based index `step` (the first step of a warm-up has rate 0, as in `transformers`).
    public func rate(atStep step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step) / Float(warmupSteps) }
        let remaining = Float(max(0, totalSteps - step)), span = Float(max(1, totalSteps - warmupSteps))
        return peak * remaining / span
    }
}
