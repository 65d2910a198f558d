import Foundation
@testable import MLCore
import Testing

/// The backward kernels one at a time: `L = Σ r ⊙ op(x)` for a fixed random `r`, against central differences.
@Suite("Backward kernels against finite differences")
struct BackwardKernelsTests {
    static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in generator.nextSymmetric() * scale }
    }

    /// Checks `gradient` (∂L/∂x) against `(L(x + ε) − L(x − ε)) / 2ε` at every coordinate.
    static func check(_ x: [Float], gradient: [Float], epsilon: Float = 1e-2, _ loss: ([Float]) -> Double,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        for index in x.indices {
            var plus = x, minus = x
            plus[index] += epsilon
            minus[index] -= epsilon
            let numeric = (loss(plus) - loss(minus)) / Double(2 * epsilon)
            #expect(abs(numeric - Double(gradient[index])) <= 2e-4 + 1e-2 * abs(numeric),
                    "coordinate \(index): finite difference \(numeric), backward \(gradient[index])", sourceLocation: sourceLocation)
        }
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    @Test("GELU (erf form)")
    func gelu() {
        let x = Self.random(40, seed: 1, scale: 4), r = Self.random(40, seed: 2)
        func loss(_ input: [Float]) -> Double { Self.dot(r, input.map { VectorMath.gelu($0) }) }
        var gradient = r
        VectorMath.geluBackward(&gradient, preActivation: x, count: 40)
        Self.check(x, gradient: gradient, epsilon: 1e-3, loss)
    }

    @Test("layer norm: input, gamma and beta")
    func layerNorm() {
        let rows = 3, columns = 8
        let x = Self.random(rows * columns, seed: 3, scale: 2), gamma = Self.random(columns, seed: 4).map { 1 + $0 * 0.5 }
        let beta = Self.random(columns, seed: 5), r = Self.random(rows * columns, seed: 6)
        func forward(_ x: [Float], _ gamma: [Float], _ beta: [Float]) -> (out: [Float], xhat: [Float], rstd: [Float]) {
            var out = [Float](repeating: 0, count: rows * columns), xhat = out, rstd = [Float](repeating: 0, count: rows)
            VectorMath.layerNormRecording(x, rows: rows, columns: columns, gamma: gamma, beta: beta, epsilon: 1e-12,
                                          normalized: &xhat, inverseDeviation: &rstd, output: &out)
            return (out, xhat, rstd)
        }
        let recorded = forward(x, gamma, beta)
        var plain = [Float](repeating: 0, count: rows * columns)
        VectorMath.layerNorm(x, residual: nil, bias: nil, rows: rows, columns: columns, gamma: gamma, beta: beta,
                             epsilon: 1e-12, output: &plain)
        #expect(plain == recorded.out, "the recording layer norm is bit-identical to the inference one")
        var dx = [Float](repeating: 0, count: rows * columns), dGamma = [Float](repeating: 0, count: columns), dBeta = dGamma
        VectorMath.layerNormBackward(r, normalized: recorded.xhat, inverseDeviation: recorded.rstd, gamma: gamma, rows: rows,
                                     columns: columns, dx: &dx, dGamma: &dGamma, dBeta: &dBeta)
        Self.check(x, gradient: dx) { Self.dot(r, forward($0, gamma, beta).out) }
        Self.check(gamma, gradient: dGamma) { Self.dot(r, forward(x, $0, beta).out) }
        Self.check(beta, gradient: dBeta) { Self.dot(r, forward(x, gamma, $0).out) }
    }

    @Test("row softmax")
    func softmax() {
        let rows = 2, columns = 5
        let x = Self.random(rows * columns, seed: 7, scale: 3), r = Self.random(rows * columns, seed: 8)
        func forward(_ input: [Float]) -> [Float] {
            var values = input
            VectorMath.softmaxRows(&values, rows: rows, columns: columns, stride: columns)
            return values
        }
        var gradient = r
        VectorMath.softmaxBackwardRows(&gradient, probabilities: forward(x), rows: rows, columns: columns)
        Self.check(x, gradient: gradient) { Self.dot(r, forward($0)) }
    }

    @Test("dropout keeps about 1 − rate of the values, scaled by 1 / (1 − rate), and is seeded")
    func dropout() {
        let dropout = Dropout(rate: 0.1)
        var mask = [Float](repeating: 0, count: 10_000)
        var generator = Dropout.generator(seed: 1, step: 2, slot: 3)
        dropout.fill(&mask, count: mask.count, generator: &generator)
        let kept = mask.filter { $0 != 0 }
        #expect(Set(kept) == [Float(1) / 0.9])
        #expect(abs(Double(kept.count) / 10_000 - 0.9) < 0.01)
        var again = [Float](repeating: 0, count: 10_000), same = Dropout.generator(seed: 1, step: 2, slot: 3)
        dropout.fill(&again, count: again.count, generator: &same)
        #expect(again == mask)
        var other = Dropout.generator(seed: 1, step: 2, slot: 4)
        dropout.fill(&again, count: again.count, generator: &other)
        #expect(again != mask)
        #expect(!Dropout(rate: 0).isActive)
    }
}
