/// Vectorised elementwise kernels: exp, erf, GELU, softmax, layer norm, over raw Float32 buffers.
///
/// The hot loops of the encoder call libm's `expf`/`erff` tens of millions of times per batch, so
/// these use polynomial approximations in loops the optimiser vectorises instead: `exp` after Cephes (range reduction by
/// ln 2, degree-5 polynomial; relative error ≈ 2e-7) and `erf` after Eigen's rational approximation
/// on [-4, 4] (absolute error ≈ 1e-7). Both are checked against libm in the tests.
enum VectorMath {
    /// e^x; inputs below -87.3 give ~1e-38, above 88.3 clamp. Scalar code written so that loops over it
    /// vectorise in optimised builds (no calls, no traps) and stay quick in debug builds (only
    /// transparent Float operators).
    @inline(__always)
    static func exp(_ input: Float) -> Float {
        let x = Swift.min(Swift.max(input, -87.3), 88.3)
        let magic: Float = 12_582_912  // 1.5 · 2^23: adding it rounds to an integer.
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_359_375 - n * -2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * (r * r) + r + 1
        // 2^n from the integer in the low mantissa bits of `shifted`.
        let integer = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        return y * Float(bitPattern: UInt32(bitPattern: (integer &+ 127) &<< 23))
    }

    /// erf(x).
    @inline(__always)
    static func erf(_ input: Float) -> Float {
        let x = Swift.min(Swift.max(input, -4), 4)
        let x2 = x * x
        var p = x2 * -2.726_142_258_013_06e-10 + 2.770_681_424_959_02e-08
        p = x2 * p + -2.101_024_020_825_08e-06
        p = x2 * p + -5.692_506_394_623_46e-05
        p = x2 * p + -7.349_906_303_268_55e-04
        p = x2 * p + -2.954_599_808_540_25e-03
        p = x2 * p + -1.609_603_332_624_15e-02
        p = x * p
        var q = x2 * -1.456_607_184_649_96e-05 + -2.133_740_552_789_05e-04
        q = x2 * q + -1.682_826_974_382_03e-03
        q = x2 * q + -7.373_329_167_204_68e-03
        q = x2 * q + -1.426_473_905_141_89e-02
        return p / q
    }

    /// GELU in its erf form, x · Φ(x) = ½x(1 + erf(x/√2)).
    @inline(__always)
    static func gelu(_ x: Float) -> Float {
        0.5 * x * (1 + erf(x * 0.707_106_781_186_547_5))
    }

    /// Adds `bias` (length `columns`) to each of `rows` rows, then applies GELU, in place.
    static func addBiasGELU(_ data: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        for row in 0..<rows {
            let line = data + row * columns
            for j in 0..<columns { line[j] = gelu(line[j] + bias[j]) }
        }
    }

    /// Applies GELU to `count` values in place.
    static func gelu(_ data: UnsafeMutablePointer<Float>, count: Int) {
        for j in 0..<count { data[j] = gelu(data[j]) }
    }

    /// Fills each of `rows` rows of `output` with `bias` (plus the matching row of `residual`), so that a
    /// following GEMM with beta = 1 adds its product on top: bias and residual cost no extra pass.
    static func fillRows(_ output: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>,
                         residual: UnsafePointer<Float>? = nil) {
        for row in 0..<rows {
            let line = output + row * columns
            if let residual {
                let source = residual + row * columns
                for j in 0..<columns { line[j] = source[j] + bias[j] }
            } else {
                line.update(from: bias, count: columns)
            }
        }
    }

    /// ``fillRows(_:rows:columns:bias:residual:)`` for `columns` of each of `rows` rows `width` wide:
    /// one thread's share of the same values.
    static func fillColumns(_ output: UnsafeMutablePointer<Float>, rows: Int, width: Int, columns: Range<Int>,
                            bias: UnsafePointer<Float>, residual: UnsafePointer<Float>? = nil) {
        for row in 0..<rows {
            let line = output + row * width
            if let residual {
                let source = residual + row * width
                for j in columns { line[j] = source[j] + bias[j] }
            } else {
                for j in columns { line[j] = bias[j] }
            }
        }
    }

    /// Adds `bias` (length `columns`) to each of `rows` rows in place.
    static func addBias(_ data: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        for row in 0..<rows {
            let line = data + row * columns
            for j in 0..<columns { line[j] += bias[j] }
        }
    }

    /// Replaces each row of `rows × columns` (row stride `stride`) with its softmax, in place.
    static func softmaxRows(_ data: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int) {
        guard columns > 0 else { return }
        for row in 0..<rows {
            let line = data + row * stride
            var maximum = -Float.infinity
            for j in 0..<columns { maximum = Swift.max(maximum, line[j]) }
            // A store-only loop vectorises; the sum follows in four independent lanes.
            for j in 0..<columns { line[j] = exp(line[j] - maximum) }
            var lanes: (Float, Float, Float, Float) = (0, 0, 0, 0)
            var j = 0
            while j + 4 <= columns {
                lanes.0 += line[j]; lanes.1 += line[j + 1]; lanes.2 += line[j + 2]; lanes.3 += line[j + 3]
                j += 4
            }
            var total = (lanes.0 + lanes.1) + (lanes.2 + lanes.3)
            while j < columns { total += line[j]; j += 1 }
            let inverse = 1 / total
            for j in 0..<columns { line[j] *= inverse }
        }
    }

    /// Layer norm of each row of `x + residual + bias` (each optional), written to `output`:
    /// `(v − mean) / sqrt(var + epsilon) · gamma + beta`, variance biased (÷ columns).
    static func layerNorm(
        _ input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
        rows: Int, columns: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
        output: UnsafeMutablePointer<Float>
    ) {
        for row in 0..<rows {
            let offset = row * columns
            let out = output + offset
            var sum: Float = 0
            for j in 0..<columns {
                var v = input[offset + j]
                if let residual { v += residual[offset + j] }
                if let bias { v += bias[j] }
                out[j] = v
                sum += v
            }
            let mean = sum / Float(columns)
            var squares: Float = 0
            for j in 0..<columns {
                let d = out[j] - mean
                squares += d * d
            }
            let inverse = 1 / (squares / Float(columns) + epsilon).squareRoot()
            for j in 0..<columns { out[j] = (out[j] - mean) * inverse * gamma[j] + beta[j] }
        }
    }
}
