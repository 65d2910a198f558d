import Foundation

/// AdamW over a ``TrainableModel``'s flat parameters: Adam moments with bias correction and decoupled
/// weight decay (`p ← p·(1 − lr·λ)` before the Adam step, as `torch.optim.AdamW`), on the matrices only.
///
/// Every trained dense value is updated each step. Word-embedding rows whose moments are still zero
/// (no batch has used them yet) get only the decay: for them the Adam step is exactly 0, so skipping it
/// changes no bit and saves most of the vocabulary's memory traffic. Work is split across threads by
/// element range; each element's update is independent, so the split never changes the result.
final class AdamW: @unchecked Sendable {
    let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    let weightDecay: Float
    private let first: FloatBuffer, second: FloatBuffer
    /// Word rows whose moments are non-zero.
    private var hasMoments: [Bool]
    /// Steps taken.
    private(set) var step = 0

    init(layout: ParameterLayout, weightDecay: Float) {
        self.weightDecay = weightDecay
        first = FloatBuffer(zeros: layout.count)
        second = FloatBuffer(zeros: layout.count)
        hasMoments = [Bool](repeating: false, count: layout.configuration.vocabularySize)
    }

    /// One update of `model.parameters` from `model.gradient` scaled by `gradientScale` (clipping).
    func update(_ model: TrainableModel, denseSlots: [ParameterLayout.Slot], learningRate: Float, gradientScale: Float) {
        step += 1
        let layout = model.layout, h = layout.configuration.hiddenSize
        for row in model.touchedRows { hasMoments[row] = true }
        let rowsWithMoments = hasMoments
        let constants = Constants(
            beta1: beta1, beta2: beta2, epsilon: epsilon, gradientScale: gradientScale,
            stepSize: learningRate / (1 - Float(Foundation.pow(Double(beta1), Double(step)))),
            correction2: Float(Foundation.sqrt(1 - Foundation.pow(Double(beta2), Double(step)))))
        let decay = 1 - learningRate * weightDecay
        let (p, g, m, v) = (SendablePointer(model.parameters.pointer), SendablePointer(model.gradient.pointer),
                            SendablePointer(first.pointer), SendablePointer(second.pointer))
        let parts = model.threads, vocabulary = layout.configuration.vocabularySize, word = layout.word
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            for slot in denseSlots {
                let lower = slot.count * part / parts, upper = slot.count * (part + 1) / parts
                let offset = slot.offset + lower
                Self.adam(p.pointer + offset, g.pointer + offset, m.pointer + offset, v.pointer + offset, count: upper - lower,
                          decay: slot.decays ? decay : 1, constants)
            }
            for row in (vocabulary * part / parts)..<(vocabulary * (part + 1) / parts) {
                let offset = word.offset + row * h
                if rowsWithMoments[row] {
                    Self.adam(p.pointer + offset, g.pointer + offset, m.pointer + offset, v.pointer + offset, count: h,
                              decay: decay, constants)
                } else if decay != 1 {
                    let values = p.pointer + offset
                    for j in 0..<h { values[j] *= decay }
                }
            }
        }
    }

    struct Constants {
        let beta1, beta2, epsilon, gradientScale, stepSize, correction2: Float
    }

    /// The AdamW step for `count` values (as `torch.optim.AdamW`, non-fused, no amsgrad).
    @inline(__always)
    private static func adam(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                             _ v: UnsafeMutablePointer<Float>, count: Int, decay: Float, _ k: Constants) {
        let (b1, b2, c1, c2) = (k.beta1, k.beta2, 1 - k.beta1, 1 - k.beta2)
        for i in 0..<count {
            let gradient = g[i] * k.gradientScale
            let moment1 = b1 * m[i] + c1 * gradient
            let moment2 = b2 * v[i] + c2 * gradient * gradient
            m[i] = moment1
            v[i] = moment2
            p[i] = p[i] * decay - k.stepSize * (moment1 / (moment2.squareRoot() / k.correction2 + k.epsilon))
        }
    }
}
