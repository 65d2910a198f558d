import Foundation
import Testing
@testable import MLCore

@Suite struct LinearHeadTests {
    /// Two Gaussian-ish blobs from a seeded generator, separable along the first axis.
    static func blobs(count: Int, dimension: Int = 6, gap: Float = 3, seed: UInt64 = 1) -> ([[Float]], [Int]) {
        var generator = SplitMix64(seed: seed)
        var features: [[Float]] = [], labels: [Int] = []
        for index in 0..<count {
            let label = index % 2
            var vector = (0..<dimension).map { _ in generator.nextSymmetric() }
            vector[0] += label == 1 ? gap : -gap
            features.append(vector)
            labels.append(label)
        }
        return (features, labels)
    }

    @Test func separableDataIsFittedToNearZeroLossWithWeakL2() throws {
        let (features, labels) = Self.blobs(count: 60)
        let fit = try LinearHead.train(features: features, labels: labels, labelCount: 2, settings: .init(l2: 1e-6))
        let probabilities = LinearHead.probabilities(features: features, head: fit.head)
        let correct = zip(probabilities, labels).filter { ($0[1] > $0[0] ? 1 : 0) == $1 }.count
        #expect(correct == 60)
        #expect((fit.lossPerIteration.last ?? 1) < 0.01)
        #expect(fit.lossPerIteration.first.map { abs($0 - log(2)) < 1e-9 } == true)  // zeros start: −log ½
        #expect(zip(fit.lossPerIteration, fit.lossPerIteration.dropFirst()).allSatisfy { $1 <= $0 })
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        let (features, labels) = Self.blobs(count: 9, dimension: 3)
        let problem = try LinearHead.Problem(features: features, labels: labels.map { $0 + ($0 == 1 ? 1 : 0) }, labelCount: 3,
                                             settings: .init(l2: 0.1, classWeights: [1, 2, 0.5]))
        var generator = SplitMix64(seed: 9)
        let theta = (0..<problem.parameterCount).map { _ in Double(generator.nextSymmetric()) }
        let (_, gradient) = problem.lossAndGradient(theta)
        for index in theta.indices {
            var plus = theta, minus = theta
            plus[index] += 1e-6
            minus[index] -= 1e-6
            let numeric = (problem.lossAndGradient(plus).0 - problem.lossAndGradient(minus).0) / 2e-6
            #expect(abs(numeric - gradient[index]) < 1e-6, "parameter \(index)")
        }
    }

    @Test func stationaryPointHasZeroGradient() throws {
        let (features, labels) = Self.blobs(count: 40, gap: 0.5)
        let fit = try LinearHead.train(features: features, labels: labels, labelCount: 2, settings: .init(l2: 1e-2))
        #expect(fit.isConverged)
        let problem = try LinearHead.Problem(features: features, labels: labels, labelCount: 2, settings: .init(l2: 1e-2))
        let theta = fit.head.weight.scalars.map(Double.init) + fit.head.bias.scalars.map(Double.init)
        #expect(problem.lossAndGradient(theta).1.allSatisfy { abs($0) < 1e-4 })
    }

    @Test func fitsAreBitIdentical() throws {
        let (features, labels) = Self.blobs(count: 50, gap: 0.3)
        let a = try LinearHead.train(features: features, labels: labels, labelCount: 2)
        let b = try LinearHead.train(features: features, labels: labels, labelCount: 2)
        #expect(a.head == b.head)
        #expect(a.lossPerIteration == b.lossPerIteration)
    }

    @Test func classWeightsMoveTheBoundaryTowardsTheLighterClass() throws {
        let (features, labels) = Self.blobs(count: 80, gap: 0.2)
        let plain = try LinearHead.train(features: features, labels: labels, labelCount: 2)
        let weighted = try LinearHead.train(features: features, labels: labels, labelCount: 2,
                                            settings: .init(classWeights: [1, 5]))
        let positive = { (head: ClassifierHead) in
            LinearHead.probabilities(features: features, head: head).filter { $0[1] > 0.5 }.count
        }
        #expect(positive(weighted.head) > positive(plain.head))
    }

    @Test func badInputIsRejectedWithAMessage() throws {
        #expect(throws: MLCoreError.self) { try LinearHead.train(features: [[1, 2]], labels: [2], labelCount: 2) }
        do {
            _ = try LinearHead.train(features: [[1, .nan], [0, 1]], labels: [0, 1], labelCount: 2)
            Issue.record("NaN features were accepted")
        } catch let error as MLCoreError {
            #expect(error.message == "feature vector 0 holds NaN or infinity")
        }
        do {
            _ = try LinearHead.train(features: [[1, 2], [1]], labels: [0, 1], labelCount: 2)
            Issue.record("ragged features were accepted")
        } catch let error as MLCoreError {
            #expect(error.message == "feature vector 1 has 1 values, the first has 2")
        }
    }

    @Test func cancellationStopsTheFit() {
        let (features, labels) = Self.blobs(count: 20)
        #expect(throws: CancellationError.self) {
            try LinearHead.train(features: features, labels: labels, labelCount: 2, isCancelled: { true })
        }
    }
}
