import Foundation

/// The kernels of the backward pass (and the training forward pass's recording layer norm), over raw
/// Float32 buffers. Every reduction runs in a fixed order, so results do not depend on threads.
extension VectorMath {
    /// Layer norm as ``layerNorm(_:residual:bias:rows:columns:gamma:beta:epsilon:output:)`` (bit for bit),
    /// also keeping each row's normalised values x̂ and inverse standard deviation for the backward pass.
    static func layerNormRecording(
        _ input: UnsafePointer<Float>, rows: Int, columns: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        epsilon: Float, normalized: UnsafeMutablePointer<Float>, inverseDeviation: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        for row in 0..<rows {
            let offset = row * columns
            let source = input + offset, xhat = normalized + offset, out = output + offset
            var sum: Float = 0
            for j in 0..<columns { sum += source[j] }
            let mean = sum / Float(columns)
            var squares: Float = 0
            for j in 0..<columns {
                let d = source[j] - mean
                squares += d * d
            }
            let inverse = 1 / (squares / Float(columns) + epsilon).squareRoot()
            inverseDeviation[row] = inverse
            for j in 0..<columns {
                let value = (source[j] - mean) * inverse
                xhat[j] = value
                out[j] = value * gamma[j] + beta[j]
            }
        }
    }

    /// Backward of layer norm: from `dy` (`rows × columns`) and the recorded x̂ and 1/σ, writes `dx` and
    /// the gradients of gamma and beta (summed over rows, overwriting `dGamma` and `dBeta`).
    ///
    /// `dx = (1/σ)·(g − mean(g) − x̂·mean(g·x̂))` with `g = dy·γ`.
    /// - Complexity: O(rows · columns).
    static func layerNormBackward(
        _ dy: UnsafePointer<Float>, normalized: UnsafePointer<Float>, inverseDeviation: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, rows: Int, columns: Int, dx: UnsafeMutablePointer<Float>,
        dGamma: UnsafeMutablePointer<Float>, dBeta: UnsafeMutablePointer<Float>
    ) {
        dGamma.update(repeating: 0, count: columns)
        dBeta.update(repeating: 0, count: columns)
        let scale = 1 / Float(columns)
        for row in 0..<rows {
            let offset = row * columns
            let gradient = dy + offset, xhat = normalized + offset, out = dx + offset
            var sumG: Float = 0, sumGX: Float = 0
            for j in 0..<columns {
                let g = gradient[j] * gamma[j]
                sumG += g
                sumGX += g * xhat[j]
                dGamma[j] += gradient[j] * xhat[j]
                dBeta[j] += gradient[j]
            }
            let meanG = sumG * scale, meanGX = sumGX * scale, inverse = inverseDeviation[row]
            for j in 0..<columns { out[j] = inverse * (gradient[j] * gamma[j] - meanG - xhat[j] * meanGX) }
        }
    }

    /// Backward of GELU (erf form) in place: `gradient[i] *= Φ(u) + u·φ(u)` for pre-activations `u`.
    static func geluBackward(_ gradient: UnsafeMutablePointer<Float>, preActivation u: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = u[i]
            let cdf = 0.5 * (1 + erf(x * 0.707_106_781_186_547_5))
            let pdf = exp(-0.5 * x * x) * 0.398_942_280_401_432_7
            gradient[i] *= cdf + x * pdf
        }
    }

    /// `output[j] = Σ_rows data[row, j]` (a bias gradient), rows in order.
    static func columnSums(_ data: UnsafePointer<Float>, rows: Int, columns: Int, output: UnsafeMutablePointer<Float>) {
        output.update(repeating: 0, count: columns)
        for row in 0..<rows {
            let line = data + row * columns
            for j in 0..<columns { output[j] += line[j] }
        }
    }

    /// Backward of a row softmax in place: `gradient = p ⊙ (gradient − Σ_j p_j·gradient_j)` per row.
    static func softmaxBackwardRows(_ gradient: UnsafeMutablePointer<Float>, probabilities: UnsafePointer<Float>,
                                    rows: Int, columns: Int) {
        for row in 0..<rows {
            let g = gradient + row * columns, p = probabilities + row * columns
            var dot: Float = 0
            for j in 0..<columns { dot += p[j] * g[j] }
            for j in 0..<columns { g[j] = p[j] * (g[j] - dot) }
        }
    }

    /// `data[i] *= mask[i]`.
    static func multiply(_ data: UnsafeMutablePointer<Float>, by mask: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { data[i] *= mask[i] }
    }

    /// `output[i] = a[i] * b[i]`.
    static func product(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) {
        for i in 0..<count { output[i] = a[i] * b[i] }
    }

    /// `data[i] += addend[i]`.
    static func add(_ addend: UnsafePointer<Float>, to data: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { data[i] += addend[i] }
    }
}
