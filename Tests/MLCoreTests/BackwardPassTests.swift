import Foundation
@testable import MLCore
import Testing

/// Every gradient of the backward pass against central finite differences on the tiny random encoder.
@Suite("Backward pass against finite differences")
struct BackwardPassTests {
    /// A tiny model with a pooler, and a batch of four examples over three labels.
    static func makeModel(pooling: Pooling, dropout: Float, threads: Int = 1) throws -> (TrainableModel, [LabelledEncoding]) {
        let encoder = try BertEncoder.makeTiny(seed: 11)
        var weights = encoder.weights
        var generator = SplitMix64(seed: 5)
        let h = encoder.configuration.hiddenSize
        weights.pooler = BertWeights.Linear(
            weight: Tensor(shape: [h, h], scalars: (0..<(h * h)).map { _ in generator.nextSymmetric() * 0.2 }),
            bias: Tensor(shape: [h], scalars: (0..<h).map { _ in generator.nextSymmetric() * 0.1 }))
        // A larger head than the default so that gradients are well above Float32 noise.
        var head = ClassifierHead.initialized(labels: 3, hidden: h, seed: 3)
        head.weight.scalars = head.weight.scalars.map { $0 * 25 }
        let tokenizer = try #require(encoder.tokenizer)
        let texts: [TextInput] = ["the cat sat on the mat.", "hello world", TextInput("a dog is playing", pair: "the cat is bad!"),
                                  "unable cafe x"]
        let examples = zip(tokenizer.encode(texts, maxTokens: 32), [0, 2, 1, 2]).map { LabelledEncoding(encoding: $0, label: $1) }
        let model = TrainableModel(weights: weights, head: head, configuration: encoder.configuration, pooling: pooling,
                                   dropout: dropout, threads: threads)
        return (model, examples)
    }

    static let classWeights: [Float] = [1, 2, 0.5]

    /// Every slot a gradient is computed for, by name (word and position rows limited to those the batch uses).
    static func slots(_ layout: ParameterLayout, pooling: Pooling) -> [(String, ParameterLayout.Slot)] {
        var result: [(String, ParameterLayout.Slot)] = [
            ("word (rows 2..<12)", ParameterLayout.Slot(offset: layout.word.offset + 2 * 32, count: 10 * 32, decays: true)),
            ("position (rows 0..<6)", ParameterLayout.Slot(offset: layout.position.offset, count: 6 * 32, decays: true)),
            ("token type", layout.tokenType), ("embedding norm weight", layout.embeddingNormWeight),
            ("embedding norm bias", layout.embeddingNormBias),
        ]
        for (index, layer) in layout.layers.enumerated() {
            let named: [(String, ParameterLayout.Slot)] = [
                ("qkv weight", layer.qkvWeight), ("qkv bias", layer.qkvBias),
                ("attention output weight", layer.attentionOutputWeight), ("attention output bias", layer.attentionOutputBias),
                ("attention norm weight", layer.attentionNormWeight), ("attention norm bias", layer.attentionNormBias),
                ("intermediate weight", layer.intermediateWeight), ("intermediate bias", layer.intermediateBias),
                ("output weight", layer.outputWeight), ("output bias", layer.outputBias),
                ("output norm weight", layer.outputNormWeight), ("output norm bias", layer.outputNormBias),
            ]
            result += named.map { ("layer \(index) \($0.0)", $0.1) }
        }
        if pooling == .cls { result += [("pooler weight", layout.poolerWeight), ("pooler bias", layout.poolerBias)] }
        return result + [("head weight", layout.headWeight), ("head bias", layout.headBias)]
    }

    @Test("each parameter tensor's gradient matches central differences", arguments: [
        (Pooling.mean, Float(0)), (Pooling.mean, Float(0.1)), (Pooling.cls, Float(0.1)),
    ])
    func gradientsMatchFiniteDifferences(pooling: Pooling, dropout: Float) throws {
        let (model, examples) = try Self.makeModel(pooling: pooling, dropout: dropout)
        let loss = { model.computeGradients(examples, classWeights: Self.classWeights, seed: 9, step: 4) }
        _ = loss()
        let analytic = Array(UnsafeBufferPointer(start: model.gradient.pointer, count: model.layout.count))
        let p = model.parameters.pointer
        var generator = SplitMix64(seed: 77)
        for (name, slot) in Self.slots(model.layout, pooling: pooling) {
            // A random direction over the whole tensor: (L(p + εu) − L(p − εu)) / 2ε against ∇L·u.
            let direction = (0..<slot.count).map { _ in generator.nextSymmetric() }
            let epsilon: Float = 2e-3
            func shift(_ amount: Float) { for i in 0..<slot.count { p[slot.offset + i] += amount * direction[i] } }
            shift(epsilon)
            let plus = loss()
            shift(-2 * epsilon)
            let minus = loss()
            shift(epsilon)
            let numeric = (plus - minus) / Double(2 * epsilon)
            var expected: Double = 0
            for i in 0..<slot.count { expected += Double(analytic[slot.offset + i]) * Double(direction[i]) }
            let tolerance = 1e-4 + 5e-3 * abs(expected)
            #expect(abs(numeric - expected) <= tolerance, "\(name): finite difference \(numeric), backward \(expected)")
            #expect(abs(expected) > 1e-4, "\(name): the gradient is too small to check (\(expected))")

            // The largest coordinate alone.
            let largest = (0..<slot.count).max { abs(analytic[slot.offset + $0]) < abs(analytic[slot.offset + $1]) } ?? 0
            let index = slot.offset + largest
            let saved = p[index], step: Float = 1e-2
            p[index] = saved + step
            let up = loss()
            p[index] = saved - step
            let down = loss()
            p[index] = saved
            let coordinate = (up - down) / Double(2 * step)
            #expect(abs(coordinate - Double(analytic[index])) <= 2e-4 + 0.03 * abs(coordinate),
                    "\(name)[\(largest)]: finite difference \(coordinate), backward \(analytic[index])")
        }
    }

    @Test("with dropout off the training forward pass computes the same loss as classify()")
    func trainingForwardMatchesInference() throws {
        for pooling in Pooling.allCases {
            let (model, examples) = try Self.makeModel(pooling: pooling, dropout: 0)
            let loss = model.computeGradients(examples, classWeights: [1, 1, 1], seed: 1, step: 0)
            var template = try BertEncoder.makeTiny(seed: 11).weights
            template.pooler = BertWeights.Linear(weight: Tensor(zeros: [32, 32]), bias: Tensor(zeros: [32]))
            let (weights, head) = model.layout.load(from: model.parameters.pointer, template: template, includesPooler: true)
            var encoder = try BertEncoder.makeTiny(seed: 11)
            try encoder.setWeights(weights)
            let probabilities = try classify(encoder: encoder, head: head, pooling: pooling,
                                             encodings: examples.map(\.encoding), batchSize: 2)
            let reference = zip(probabilities, examples).map { -Foundation.log(Double($0[$1.label])) }.reduce(0, +) / 4
            #expect(abs(loss - reference) < 1e-5, "\(pooling): training loss \(loss), inference loss \(reference)")
        }
    }

    @Test("two threads give the same loss and gradient as one, bit for bit")
    func threadsAgree() throws {
        let (single, examples) = try Self.makeModel(pooling: .mean, dropout: 0.1, threads: 1)
        let (double, _) = try Self.makeModel(pooling: .mean, dropout: 0.1, threads: 2)
        let a = single.computeGradients(examples, classWeights: Self.classWeights, seed: 3, step: 1)
        let b = double.computeGradients(examples, classWeights: Self.classWeights, seed: 3, step: 1)
        #expect(a == b)
        #expect(single.touchedRows == double.touchedRows)
        var differing = 0
        for i in 0..<single.layout.count where single.gradient.pointer[i] != double.gradient.pointer[i] { differing += 1 }
        #expect(differing == 0, "\(differing) gradient values differ")
    }
}
