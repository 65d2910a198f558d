import Foundation
@testable import MLCore
import Testing

@Suite("Elementwise kernels and GEMM against hand-computed values")
struct VectorMathTests {
    private func apply(_ values: [Float], _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        var copy = values
        copy.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return copy
    }

    @Test("exp matches libm to 3e-7 relative over [-80, 80]")
    func exponential() {
        var worst: Float = 0
        for step in 0..<4000 {
            let x = Float(step) * 0.04 - 80
            let approx = VectorMath.exp(x)
            worst = max(worst, abs(approx - Foundation.exp(x)) / Foundation.exp(x))
        }
        #expect(worst < 3e-7)
        #expect(VectorMath.exp(-200) < 1e-37)
    }

    @Test("erf matches libm to 5e-7 absolute over [-6, 6]")
    func errorFunction() {
        var worst: Float = 0
        for step in 0...1200 {
            let x = Float(step) * 0.01 - 6
            worst = max(worst, abs(VectorMath.erf(x) - Foundation.erf(x)))
        }
        #expect(worst < 5e-7)
    }

    @Test("GELU (erf form) at hand-computed points", arguments: [
        (Float(0), Float(0)), (1, 0.841_344_75), (-1, -0.158_655_25), (2, 1.954_499_7), (-3, -0.004_049_68), (10, 10),
    ])
    func gelu(input: Float, expected: Float) {
        #expect(abs(VectorMath.gelu(input) - expected) < 1e-6)
        // The fused bias + GELU kernel over a 9-wide row (one vector and a scalar tail).
        let row = apply([Float](repeating: input - 0.5, count: 9)) { pointer in
            [Float](repeating: 0.5, count: 9).withUnsafeBufferPointer {
                VectorMath.addBiasGELU(pointer, rows: 1, columns: 9, bias: $0.baseAddress!)
            }
        }
        #expect(row.allSatisfy { abs($0 - expected) < 1e-6 })
    }

    @Test("softmax of [1, 2, 3] and a row of 11 equal values, with a stride")
    func softmax() {
        let result = apply([1, 2, 3, 99]) { VectorMath.softmaxRows($0, rows: 1, columns: 3, stride: 4) }
        for (value, expected) in zip(result, [Float(0.090_030_57), 0.244_728_47, 0.665_240_96, 99]) {
            #expect(abs(value - expected) < 1e-6)
        }
        let flat = apply([Float](repeating: 1000, count: 11)) { VectorMath.softmaxRows($0, rows: 1, columns: 11, stride: 11) }
        #expect(flat.allSatisfy { abs($0 - 1 / 11) < 1e-7 })
    }

    @Test("layer norm of [1, 2, 3, 4] with scale and shift, residual and bias")
    func layerNorm() {
        let gamma: [Float] = [1, 1, 2, 1], beta: [Float] = [0, 0, 0, 1]
        let residual: [Float] = [1, 1, 1, 1], bias: [Float] = [-1, -1, -1, -1]
        var output = [Float](repeating: 0, count: 4)
        [Float]([1, 2, 3, 4]).withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                VectorMath.layerNorm(input.baseAddress!, residual: residual, bias: bias, rows: 1, columns: 4,
                                     gamma: gamma, beta: beta, epsilon: 1e-12, output: out.baseAddress!)
            }
        }
        // mean 2.5, variance 1.25: (x − 2.5) / √1.25 = ±1.341641, ±0.447214.
        for (value, expected) in zip(output, [Float(-1.341_641), -0.447_214, 0.894_427, 2.341_641]) {
            #expect(abs(value - expected) < 1e-5)
        }
    }

    @Test("GEMM: [[1,2,3],[4,5,6]] · [[1,0,2],[0,1,3]]ᵀ accumulated onto bias rows")
    func gemm() {
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [1, 0, 2, 0, 1, 3]
        var c = [Float](repeating: 0, count: 4)
        c.withUnsafeMutableBufferPointer { out in
            VectorMath.fillRows(out.baseAddress!, rows: 2, columns: 2, bias: [10, 20])
            BLAS.gemm(transposeB: true, m: 2, n: 2, k: 3, a: a, lda: 3, b: b, ldb: 3, beta: 1, c: out.baseAddress!, ldc: 2)
        }
        #expect(c == [17, 31, 26, 43])
    }

    @Test("one attention head by hand: two tokens, head size 2")
    func attentionHead() {
        // Rows are [q0 q1 | k0 k1 | v0 v1]; scale 1/√2.
        let qkv: [Float] = [1, 0, 1, 0, 1, 2,
                            0, 1, 0, 1, 3, 4]
        var scores = [Float](repeating: 0, count: 4)
        var output = [Float](repeating: 0, count: 4)
        qkv.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            scores.withUnsafeMutableBufferPointer { s in
                output.withUnsafeMutableBufferPointer { o in
                    BertEncoder.attendHead(query: base, key: base + 2, value: base + 4, stride: 6, length: 2, headSize: 2,
                                           scores: s.baseAddress!, output: o.baseAddress!, outputStride: 2)
                }
            }
        }
        let high = Float(1 / (1 + Foundation.exp(-1 / 2.0.squareRoot())))  // softmax([1/√2, 0])[0]
        #expect(abs(scores[0] - high) < 1e-6 && abs(scores[1] - (1 - high)) < 1e-6)
        #expect(abs(scores[2] - (1 - high)) < 1e-6 && abs(scores[3] - high) < 1e-6)
        #expect(abs(output[0] - (high * 1 + (1 - high) * 3)) < 1e-5)
        #expect(abs(output[3] - ((1 - high) * 2 + high * 4)) < 1e-5)
    }

    @Test("L2 normalisation and mean pooling over each encoding's own tokens")
    func poolingAndNormalisation() {
        #expect(BertEncoder.l2Normalized([3, 4]) == [0.6, 0.8])
        #expect(BertEncoder.l2Normalized([0, 0]) == [0, 0])
        let pass = BertEncoder.ForwardPass(hidden: [1, 2, 3, 4, 10, 20], offsets: [0, 2], lengths: [2, 1])
        #expect(BertEncoder.meanPooled(pass, hiddenSize: 2) == [[2, 3], [10, 20]])
    }
}
