import Foundation

/// Trains a linear softmax classifier on fixed features: multinomial logistic regression with L2
/// regularisation, full-batch L-BFGS to convergence.
///
/// This is the `head` training mode: the encoder is frozen, each row is one feature vector (a pooled
/// embedding), and only a ``ClassifierHead`` (`weight` `[labels, features]`, `bias` `[labels]`) is
/// fitted. The objective is
///
///     f(W, b) = (1 / Σᵢ wᵢ) · Σᵢ wᵢ · −log softmax(W·xᵢ + b)[yᵢ]  +  (λ / 2) · ‖W‖²
///
/// with `wᵢ` the class weight of row `i`'s label and the bias left unpenalised. It is strictly convex
/// for λ > 0, so L-BFGS reaches the one minimum whatever the start.
///
/// With ``Settings/standardizes`` (off by default) the fit runs on features standardised per dimension
/// (mean 0, standard deviation 1 over the training rows), so that λ means the same whatever the scale
/// of the embeddings; the scaling is then folded back into the returned head (`W/σ`, `b − W·μ/σ`), which
/// therefore reads the raw features.
///
/// Everything runs in `Double` with plain loops in a fixed order (no BLAS, no threads), so the same
/// features and settings give bit-identical weights on every run.
///
/// ```swift
/// let fit = try LinearHead.train(features: embeddings, labels: [0, 1, 1, 0], labelCount: 2,
///                                settings: .init(l2: 1e-3))
/// let probabilities = LinearHead.probabilities(features: embeddings, head: fit.head)
/// ```
public enum LinearHead {
    /// How to fit the head.
    public struct Settings: Sendable, Equatable {
        /// λ, the L2 strength on the weights (the bias is not penalised); must be positive.
        public var l2: Double
        /// One weight per label (`nil`: all 1).
        public var classWeights: [Double]?
        /// The most L-BFGS iterations.
        public var maxIterations: Int
        /// Converged when the largest gradient component is below this.
        public var gradientTolerance: Double
        /// L-BFGS history length.
        public var memory: Int
        /// Whether features are standardised for the fit (λ then applies to standardised weights). Off by
        /// default: on sentence embeddings, whose dimensions share one scale, it amplified noisy dimensions
        /// and lost 0.06 macro-F1 on the fine-foods test slice.
        public var standardizes: Bool

        public init(l2: Double = 1e-2, classWeights: [Double]? = nil, maxIterations: Int = 1_000,
                    gradientTolerance: Double = 1e-6, memory: Int = 10, standardizes: Bool = false) {
            self.l2 = l2
            self.standardizes = standardizes
            self.classWeights = classWeights
            self.maxIterations = maxIterations
            self.gradientTolerance = gradientTolerance
            self.memory = memory
        }
    }

    /// A fitted head and how the fit went.
    public struct Fit: Sendable {
        /// The classifier, `weight` `[labels, features]` and `bias` `[labels]`.
        public var head: ClassifierHead
        /// The objective after each iteration (the first entry is at the start point).
        public var lossPerIteration: [Double]
        /// Whether the gradient tolerance was met (else the iteration limit or a stalled line search ended it).
        public var isConverged: Bool
    }

    /// Fits a head to `features` and `labels`.
    ///
    /// - Parameters:
    ///   - features: One vector per row, all the same length.
    ///   - labels: Each row's label index in `0..<labelCount`.
    ///   - labelCount: The number of labels (at least 2).
    ///   - settings: L2 strength, class weights, stopping rule.
    ///   - start: Weights to start from (a previous fit, for a warm start); zeros when `nil`.
    ///   - isCancelled: Polled once per iteration; a `true` stops the fit with ``CancellationError``.
    /// - Throws: ``MLCoreError`` `.invalidInput` for mismatched sizes, an out-of-range label, a
    ///   non-finite feature, or a loss that becomes NaN; `CancellationError` when cancelled.
    /// - Complexity: O(iterations · n · features · labels).
    public static func train(
        features: [[Float]], labels: [Int], labelCount: Int, settings: Settings = Settings(),
        start: ClassifierHead? = nil, isCancelled: () -> Bool = { false }
    ) throws -> Fit {
        let problem = try Problem(features: features, labels: labels, labelCount: labelCount, settings: settings)
        let d = problem.d, kd = labelCount * d
        var theta = [Double](repeating: 0, count: problem.parameterCount)
        if let start, start.weight.shape == [labelCount, d], start.bias.shape == [labelCount] {
            // Into the standardised space: w' = w·σ, b' = b + w·μ.
            for label in 0..<labelCount {
                var shift = Double(start.bias.scalars[label])
                for j in 0..<d {
                    let w = Double(start.weight.scalars[label * d + j])
                    theta[label * d + j] = w * problem.scale[j]
                    shift += w * problem.center[j]
                }
                theta[kd + label] = shift
            }
        }
        var optimizer = LBFGS(memory: settings.memory)
        let (losses, converged) = try optimizer.minimize(
            &theta, maxIterations: settings.maxIterations, tolerance: settings.gradientTolerance,
            isCancelled: isCancelled
        ) { problem.lossAndGradient($0) }
        // Back to raw features: W = w'/σ, b = b' − Σ w'·μ/σ.
        var weight = [Float](repeating: 0, count: kd), bias = [Float](repeating: 0, count: labelCount)
        for label in 0..<labelCount {
            var shift = theta[kd + label]
            for j in 0..<d {
                let w = theta[label * d + j] / problem.scale[j]
                weight[label * d + j] = Float(w)
                shift -= w * problem.center[j]
            }
            bias[label] = Float(shift)
        }
        let head = ClassifierHead(weight: Tensor(shape: [labelCount, d], scalars: weight),
                                  bias: Tensor(shape: [labelCount], scalars: bias))
        return Fit(head: head, lossPerIteration: losses, isConverged: converged)
    }

    /// The softmax probabilities of a head over features, one row per feature vector.
    public static func probabilities(features: [[Float]], head: ClassifierHead) -> [[Float]] {
        let k = head.bias.count
        let d = k == 0 ? 0 : head.weight.count / k
        return features.map { x in
            var logits = [Double](repeating: 0, count: k)
            head.weight.scalars.withUnsafeBufferPointer { w in
                for label in 0..<k {
                    var sum = Double(head.bias.scalars[label])
                    for j in 0..<min(d, x.count) { sum += Double(w[label * d + j]) * Double(x[j]) }
                    logits[label] = sum
                }
            }
            return softmax(logits).map { Float($0) }
        }
    }

    /// A numerically stable softmax.
    static func softmax(_ logits: [Double]) -> [Double] {
        let top = logits.max() ?? 0
        let exps = logits.map { Foundation.exp($0 - top) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }
}

extension LinearHead {
    /// The data and objective of one fit, features stored row-major in `Double`.
    struct Problem {
        let n: Int, d: Int, k: Int
        let x: [Double]
        let y: [Int]
        let rowWeights: [Double]
        let totalWeight: Double
        let l2: Double
        /// Per-dimension mean and standard deviation the features were standardised with (0 and 1 when not).
        let center: [Double], scale: [Double]

        var parameterCount: Int { k * d + k }

        init(features: [[Float]], labels: [Int], labelCount: Int, settings: Settings) throws {
            guard labelCount >= 2 else { throw MLCoreError(.invalidInput, "a head needs at least 2 labels, got \(labelCount)") }
            guard !features.isEmpty, features.count == labels.count else {
                throw MLCoreError(.invalidInput, "\(features.count) feature vectors for \(labels.count) labels")
            }
            guard settings.l2 > 0, settings.l2.isFinite else {
                throw MLCoreError(.invalidInput, "l2 must be a positive number, got \(settings.l2)")
            }
            let weights = settings.classWeights ?? [Double](repeating: 1, count: labelCount)
            guard weights.count == labelCount, weights.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw MLCoreError(.invalidInput, "class weights must be \(labelCount) positive numbers, got \(weights)")
            }
            d = features[0].count
            n = features.count
            k = labelCount
            var x = [Double]()
            x.reserveCapacity(n * d)
            for (row, vector) in features.enumerated() {
                guard vector.count == d else {
                    throw MLCoreError(.invalidInput, "feature vector \(row) has \(vector.count) values, the first has \(d)")
                }
                guard vector.allSatisfy(\.isFinite) else {
                    throw MLCoreError(.invalidInput, "feature vector \(row) holds NaN or infinity")
                }
                for value in vector { x.append(Double(value)) }
            }
            for (row, label) in labels.enumerated() where !(0..<labelCount).contains(label) {
                throw MLCoreError(.invalidInput, "row \(row) has label index \(label), outside 0..<\(labelCount)")
            }
            var center = [Double](repeating: 0, count: d), scale = [Double](repeating: 1, count: d)
            if settings.standardizes {
                for i in 0..<n { for j in 0..<d { center[j] += x[i * d + j] } }
                let rows = Double(features.count)
                center = center.map { $0 / rows }
                var variance = [Double](repeating: 0, count: d)
                for i in 0..<n { for j in 0..<d { variance[j] += (x[i * d + j] - center[j]) * (x[i * d + j] - center[j]) } }
                scale = variance.map { let s = ($0 / rows).squareRoot(); return s > 1e-12 ? s : 1 }
                for i in 0..<n { for j in 0..<d { x[i * d + j] = (x[i * d + j] - center[j]) / scale[j] } }
            }
            self.center = center
            self.scale = scale
            self.x = x
            y = labels
            rowWeights = labels.map { weights[$0] }
            totalWeight = rowWeights.reduce(0, +)
            l2 = settings.l2
        }

        /// The objective and its gradient at `theta` (`[W row-major, b]`).
        func lossAndGradient(_ theta: [Double]) -> (Double, [Double]) {
            var gradient = [Double](repeating: 0, count: parameterCount)
            var loss = 0.0
            var logits = [Double](repeating: 0, count: k)
            let kd = k * d
            theta.withUnsafeBufferPointer { t in
                x.withUnsafeBufferPointer { xs in
                    gradient.withUnsafeMutableBufferPointer { g in
                        for i in 0..<n {
                            let row = i * d
                            for label in 0..<k {
                                var sum = t[kd + label]
                                let w = label * d
                                for j in 0..<d { sum += t[w + j] * xs[row + j] }
                                logits[label] = sum
                            }
                            let top = logits.max() ?? 0
                            var total = 0.0
                            for label in 0..<k {
                                logits[label] = Foundation.exp(logits[label] - top)
                                total += logits[label]
                            }
                            let scale = rowWeights[i] / totalWeight
                            loss += scale * (Foundation.log(total) - Foundation.log(logits[y[i]]))
                            for label in 0..<k {
                                let residual = scale * (logits[label] / total - (label == y[i] ? 1 : 0))
                                g[kd + label] += residual
                                let w = label * d
                                for j in 0..<d { g[w + j] += residual * xs[row + j] }
                            }
                        }
                        for i in 0..<kd {
                            loss += 0.5 * l2 * t[i] * t[i]
                            g[i] += l2 * t[i]
                        }
                    }
                }
            }
            return (loss, gradient)
        }
    }
}
