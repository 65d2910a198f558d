/// A seeded pseudo-random number generator whose output is fixed forever: SplitMix64.
///
/// Determinism-critical code (the test-set split, sampling a review set) must give the same
/// result on every platform and every Swift version, so it uses this generator and the helpers
/// below instead of `SystemRandomNumberGenerator`, `Int.random(in:using:)` or `shuffle(using:)`:
/// the standard library documents neither the algorithm of those helpers nor its stability.
///
/// The sequence is SplitMix64 (Steele, Lea, Flood, "Fast Splittable Pseudorandom Number
/// Generators", OOPSLA 2014), written with wrapping 64-bit arithmetic only, so it does not depend
/// on the platform's word size or on floating point.
///
/// ```swift
/// var generator = SeededGenerator(seed: 42)
/// var rows = Array(1...10)
/// rows.seededShuffle(using: &generator)   // the same order everywhere, always
/// ```
///
/// Changing this type or its helpers changes every split ever made: bump the version of each task
/// type that uses it when you do.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed; equal seeds give equal sequences.
    public init(seed: UInt64) {
        state = seed
    }

    /// Creates a generator from a signed seed (its two's-complement bit pattern).
    public init(seed: Int) {
        self.init(seed: UInt64(bitPattern: Int64(seed)))
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound`, by rejection sampling (no modulo bias).
    ///
    /// The rejection rule is fixed: draws at or above the largest multiple of `bound` that fits in
    /// 2⁶⁴ are discarded. `bound` must be positive.
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let bound = UInt64(bound)
        let limit = UInt64.max - (UInt64.max % bound + 1) % bound
        while true {
            let value = next()
            if value <= limit { return Int(value % bound) }
        }
    }
}

extension MutableCollection where Self: RandomAccessCollection, Index == Int {
    /// Shuffles in place with a Fisher–Yates pass driven by ``SeededGenerator``: the result depends
    /// only on the elements' order and the generator's state, never on the Swift version.
    ///
    /// For `i` from the last index down to the second, swaps element `i` with element
    /// `j = nextIndex(below: i - startIndex + 1)` (relative to `startIndex`).
    ///
    /// - Complexity: O(*n*).
    public mutating func seededShuffle(using generator: inout SeededGenerator) {
        guard count > 1 else { return }
        var offset = count - 1
        while offset > 0 {
            let other = generator.nextIndex(below: offset + 1)
            if other != offset { swapAt(startIndex + offset, startIndex + other) }
            offset -= 1
        }
    }
}
