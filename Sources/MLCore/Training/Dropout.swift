/// Inverted dropout masks from a seeded generator: each value is 0 with probability `rate`, else
/// `1 / (1 − rate)`, so that the expected output equals the input and inference needs no rescaling.
///
/// Each training example draws from its own generator, seeded from the run's seed, the step and the
/// example's place in the batch, in a fixed order (embeddings; per layer the attention probabilities,
/// the attention output, the feed-forward output; then the classifier input). The masks therefore do not
/// depend on how a batch is split across threads.
struct Dropout: Sendable {
    /// The probability of dropping a value.
    let rate: Float
    /// Values below this 16-bit threshold are dropped.
    private let threshold: UInt64
    /// What a kept value is multiplied by.
    let keptScale: Float

    init(rate: Float) {
        self.rate = rate
        threshold = UInt64((Double(rate) * 65_536).rounded())
        keptScale = rate > 0 ? 1 / (1 - rate) : 1
    }

    /// Whether dropout does anything.
    var isActive: Bool { threshold > 0 }

    /// Fills `count` mask values from `generator`, four per 64-bit draw.
    func fill(_ mask: UnsafeMutablePointer<Float>, count: Int, generator: inout SplitMix64) {
        var index = 0
        while index < count {
            var bits = generator.next()
            for _ in 0..<min(4, count - index) {
                mask[index] = (bits & 0xFFFF) < threshold ? 0 : keptScale
                bits >>= 16
                index += 1
            }
        }
    }

    /// The generator for one example: a hash of the run's seed, the global step and the example's slot.
    static func generator(seed: UInt64, step: Int, slot: Int) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ 0x6472_6F70_6F75_74)  // "dropout"
        var state = mixer.next()
        state ^= UInt64(truncatingIfNeeded: step) &* 0x9E37_79B9_7F4A_7C15
        var stepMixer = SplitMix64(seed: state)
        state = stepMixer.next() ^ (UInt64(truncatingIfNeeded: slot) &* 0xC2B2_AE3D_27D4_EB4F)
        return SplitMix64(seed: state)
    }
}
