import Foundation

extension LinearHead {
    /// Limited-memory BFGS (Nocedal & Wright, *Numerical Optimization*, algorithm 7.4) with a
    /// backtracking Armijo line search; deterministic (no randomness, fixed operation order).
    struct LBFGS {
        let memory: Int
        private var steps: [[Double]] = []
        private var gradientChanges: [[Double]] = []
        private var curvatures: [Double] = []

        init(memory: Int) { self.memory = max(1, memory) }

        /// Minimises `objective` from `x`, in place.
        ///
        /// - Returns: The objective after each iteration (the first at the start) and whether the
        ///   largest gradient component fell below `tolerance`.
        mutating func minimize(
            _ x: inout [Double], maxIterations: Int, tolerance: Double, isCancelled: () -> Bool,
            objective: ([Double]) -> (Double, [Double])
        ) throws -> ([Double], Bool) {
            var (value, gradient) = objective(x)
            var history = [value]
            guard value.isFinite else { throw MLCoreError(.invalidInput, "the head's loss is NaN at the start point") }
            for _ in 0..<maxIterations {
                if Self.largest(gradient) < tolerance { return (history, true) }
                if isCancelled() { throw CancellationError() }
                var direction = searchDirection(gradient)
                var slope = Self.dot(direction, gradient)
                if slope >= 0 {  // not a descent direction: restart from steepest descent
                    reset()
                    direction = gradient.map { -$0 }
                    slope = Self.dot(direction, gradient)
                }
                var step = steps.isEmpty ? min(1, 1 / max(Self.norm(gradient), 1e-12)) : 1
                var accepted: (x: [Double], value: Double, gradient: [Double])?
                for _ in 0..<40 {
                    let candidate = zip(x, direction).map { $0 + step * $1 }
                    let (candidateValue, candidateGradient) = objective(candidate)
                    if candidateValue.isFinite, candidateValue <= value + 1e-4 * step * slope {
                        accepted = (candidate, candidateValue, candidateGradient)
                        break
                    }
                    step *= 0.5
                }
                guard let accepted else { return (history, Self.largest(gradient) < tolerance * 100) }
                guard accepted.value.isFinite else { throw MLCoreError(.invalidInput, "the head's loss became NaN") }
                remember(step: zip(accepted.x, x).map { $0 - $1 }, gradientChange: zip(accepted.gradient, gradient).map { $0 - $1 })
                let improvement = value - accepted.value
                x = accepted.x
                value = accepted.value
                gradient = accepted.gradient
                history.append(value)
                if improvement <= 1e-14 * max(1, abs(value)) { return (history, Self.largest(gradient) < tolerance * 100) }
            }
            return (history, Self.largest(gradient) < tolerance)
        }

        private mutating func reset() {
            steps.removeAll()
            gradientChanges.removeAll()
            curvatures.removeAll()
        }

        private mutating func remember(step s: [Double], gradientChange y: [Double]) {
            let sy = Self.dot(s, y)
            guard sy > 1e-12 else { return }  // keep the approximation positive definite
            if steps.count == memory {
                steps.removeFirst()
                gradientChanges.removeFirst()
                curvatures.removeFirst()
            }
            steps.append(s)
            gradientChanges.append(y)
            curvatures.append(1 / sy)
        }

        /// The two-loop recursion: −H·g with H the L-BFGS inverse Hessian approximation.
        private func searchDirection(_ gradient: [Double]) -> [Double] {
            var q = gradient
            var alphas = [Double](repeating: 0, count: steps.count)
            for i in stride(from: steps.count - 1, through: 0, by: -1) {
                alphas[i] = curvatures[i] * Self.dot(steps[i], q)
                Self.axpy(-alphas[i], gradientChanges[i], &q)
            }
            if let s = steps.last, let y = gradientChanges.last {
                let gamma = Self.dot(s, y) / max(Self.dot(y, y), 1e-300)
                q = q.map { $0 * gamma }
            }
            for i in 0..<steps.count {
                let beta = curvatures[i] * Self.dot(gradientChanges[i], q)
                Self.axpy(alphas[i] - beta, steps[i], &q)
            }
            return q.map { -$0 }
        }

        static func dot(_ a: [Double], _ b: [Double]) -> Double {
            var sum = 0.0
            for i in 0..<min(a.count, b.count) { sum += a[i] * b[i] }
            return sum
        }

        static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
            for i in 0..<y.count { y[i] += alpha * x[i] }
        }

        static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

        static func largest(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }
    }
}
