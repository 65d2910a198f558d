import Foundation
@testable import MLCore
import Testing

/// Full fine-tuning on the tiny random encoder: it learns, it is deterministic, it stops when asked.
@Suite("Fine-tuning the tiny encoder")
struct FineTunerTests {
    /// Texts with "cat" are label 0, texts with "dog" label 1; the other words are shared noise.
    static func separable(count: Int, seed: UInt64) throws -> [LabelledEncoding] {
        let tokenizer = try #require(try BertEncoder.makeTiny().tokenizer)
        let filler = ["the", "a", "sat", "on", "mat", "is", "good", "bad", "hello", "world", "cafe", "playing"]
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let label = index % 2
            var words = (0..<(2 + Int(generator.next() % 6))).map { _ in filler[Int(generator.next() % UInt64(filler.count))] }
            words.insert(label == 0 ? "cat" : "dog", at: Int(generator.next() % UInt64(words.count + 1)))
            return LabelledEncoding(encoding: tokenizer.encode(words.joined(separator: " "), maxTokens: 32), label: label)
        }
    }

    static let settings = FineTuneSettings(epochs: 8, learningRate: 3e-3, batchSize: 8, warmupRatio: 0.1, dropout: 0.1,
                                           seed: 5, threads: 2, patience: 8)

    @Test("training on a separable set drives the loss near zero and classifies it correctly")
    func learnsSeparableSet() throws {
        let encoder = try BertEncoder.makeTiny(seed: 3)
        let examples = try Self.separable(count: 64, seed: 1), validation = try Self.separable(count: 16, seed: 2)
        var reports: [TrainingProgress] = []
        let result = try FineTuner(encoder: encoder, labels: 2, settings: Self.settings)
            .train(examples, validation: validation, progress: { reports.append($0) }, isCancelled: { false })
        #expect(reports.count == 64)
        #expect(reports.map(\.step) == Array(1...64))
        #expect(reports.last?.steps == 64 && reports.last?.epoch == 8)
        #expect(result.curve.stepLoss.count == 64)
        var tuned = encoder
        try tuned.setWeights(result.weights)
        let probabilities = try classify(encoder: tuned, head: result.head, pooling: .mean,
                                         encodings: examples.map(\.encoding), batchSize: 16)
        let loss = zip(probabilities, examples).map { -Foundation.log(Double($0[$1.label])) }.reduce(0, +) / 64
        #expect(loss < 0.05, "training-set loss after fine-tuning: \(loss)")
        let best = try #require(result.curve.epochValidation.first { $0.epoch == result.curve.bestEpoch })
        #expect(best.accuracy == 1 && best.macroF1 == 1)
        #expect(result.head.weight.shape == [2, 32])
        #expect(result.weights != encoder.weights, "every layer was trained")
        #expect(result.weights.layers[0].query.weight != encoder.weights.layers[0].query.weight)
    }

    @Test("cls pooling trains the pooler and learns too")
    func clsPooling() throws {
        var encoder = try BertEncoder.makeTiny(seed: 3)
        var weights = encoder.weights
        var generator = SplitMix64(seed: 9)
        weights.pooler = BertWeights.Linear(
            weight: Tensor(shape: [32, 32], scalars: (0..<1024).map { _ in generator.nextSymmetric() * 0.1 }),
            bias: Tensor(zeros: [32]))
        try encoder.setWeights(weights)
        var settings = Self.settings
        settings.pooling = .cls
        let examples = try Self.separable(count: 64, seed: 1)
        let result = try FineTuner(encoder: encoder, labels: 2, settings: settings)
            .train(examples, validation: [], progress: { _ in }, isCancelled: { false })
        #expect(result.weights.pooler != weights.pooler)
        #expect(result.curve.bestEpoch == 8 && result.curve.epochValidation.isEmpty)
        var tuned = encoder
        try tuned.setWeights(result.weights)
        let probabilities = try classify(encoder: tuned, head: result.head, pooling: .cls,
                                         encodings: examples.map(\.encoding), batchSize: 16)
        let correct = zip(probabilities, examples).filter { $0[$1.label] > 0.5 }.count
        #expect(correct == 64)
    }

    @Test("two trainings with the same seed and threads give bit-identical weights", arguments: [1, 2])
    func deterministic(threads: Int) throws {
        let encoder = try BertEncoder.makeTiny(seed: 3)
        let examples = try Self.separable(count: 24, seed: 4), validation = try Self.separable(count: 8, seed: 5)
        var settings = Self.settings
        settings.epochs = 2
        settings.threads = threads
        func run(seed: UInt64) throws -> FineTuneResult {
            settings.seed = seed
            return try FineTuner(encoder: encoder, labels: 2, settings: settings)
                .train(examples, validation: validation, progress: { _ in }, isCancelled: { false })
        }
        let first = try run(seed: 5), second = try run(seed: 5)
        #expect(first.weights == second.weights)
        #expect(first.head == second.head)
        #expect(first.curve == second.curve)
        #expect(try run(seed: 6).weights != first.weights)
    }

    @Test("the thread count changes no bit of the trained weights, head or curve")
    func threadCountChangesNothing() throws {
        let encoder = try BertEncoder.makeTiny(seed: 3)
        let examples = try Self.separable(count: 24, seed: 4), validation = try Self.separable(count: 8, seed: 5)
        let results = try [1, 2, 3].map { threads in
            var settings = Self.settings
            settings.epochs = 2
            settings.threads = threads
            return try FineTuner(encoder: encoder, labels: 2, settings: settings)
                .train(examples, validation: validation, progress: { _ in }, isCancelled: { false })
        }
        for result in results.dropFirst() {
            #expect(result.weights == results[0].weights)
            #expect(result.head == results[0].head)
            #expect(result.curve == results[0].curve)
        }
    }

    @Test("training stops after `patience` epochs without a better validation score and keeps the best epoch")
    func earlyStopping() throws {
        let encoder = try BertEncoder.makeTiny(seed: 3)
        // Validation labels are the opposite of training's: the more it learns, the worse it scores.
        let validation = try Self.separable(count: 16, seed: 2).map { LabelledEncoding(encoding: $0.encoding, label: 1 - $0.label) }
        var settings = Self.settings
        settings.patience = 2
        let result = try FineTuner(encoder: encoder, labels: 2, settings: settings)
            .train(try Self.separable(count: 64, seed: 1), validation: validation, progress: { _ in }, isCancelled: { false })
        let scores = result.curve.epochValidation
        #expect(scores.count == result.curve.bestEpoch + 2 && scores.count < 8, "\(scores)")
        let best = try #require(scores.first { $0.epoch == result.curve.bestEpoch })
        #expect(scores.allSatisfy { $0.epoch == best.epoch || !FineTuner.isBetter($0, than: best) })
    }

    @Test("cancellation stops training with CancellationError")
    func cancellation() throws {
        let encoder = try BertEncoder.makeTiny(seed: 3)
        let examples = try Self.separable(count: 32, seed: 1)
        var polls = 0, steps = 0
        #expect(throws: CancellationError.self) {
            try FineTuner(encoder: encoder, labels: 2, settings: Self.settings)
                .train(examples, validation: [], progress: { _ in steps += 1 }, isCancelled: { polls += 1; return polls > 3 })
        }
        #expect(steps == 3)
    }

    @Test("an absurd learning rate stops with a NaN-loss error naming the step")
    func divergence() throws {
        let encoder = try BertEncoder.makeTiny(seed: 3)
        var settings = Self.settings
        settings.learningRate = 1e30
        settings.warmupRatio = 0
        settings.maxGradientNorm = 0
        do {
            _ = try FineTuner(encoder: encoder, labels: 2, settings: settings)
                .train(try Self.separable(count: 32, seed: 1), validation: [], progress: { _ in }, isCancelled: { false })
            Issue.record("training with learning rate 1e30 did not fail")
        } catch let error as MLCoreError {
            #expect(error.code == .trainingDiverged)
            #expect(error.message.contains("NaN at step") && error.message.contains("lower learning_rate"), "\(error.message)")
        }
    }

    @Test("bad settings and examples are rejected with a message naming them")
    func rejectsBadInput() throws {
        let encoder = try BertEncoder.makeTiny(seed: 3)
        let examples = try Self.separable(count: 8, seed: 1)
        func message(_ settings: FineTuneSettings, labels: Int = 2, _ data: [LabelledEncoding]) -> String {
            do {
                _ = try FineTuner(encoder: encoder, labels: labels, settings: settings)
                    .train(data, validation: [], progress: { _ in }, isCancelled: { false })
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(message(FineTuneSettings(learningRate: 0), examples).contains("learning rate"))
        #expect(message(FineTuneSettings(classWeights: [1]), examples).contains("class weights has 1 values for 2 labels"))
        #expect(message(FineTuneSettings(pooling: .cls), examples).contains("pooler"))
        #expect(message(FineTuneSettings(), examples.filter { $0.label == 0 }).contains("label 1 has no training examples"))
        var bad = examples
        bad[3].label = 7
        #expect(message(FineTuneSettings(), bad).contains("training example 3 has label 7"))
    }

    @Test("long encodings are cut to max tokens keeping their last token")
    func truncation() throws {
        let tuner = FineTuner(encoder: try BertEncoder.makeTiny(), labels: 2, settings: FineTuneSettings(maxTokens: 4))
        let long = LabelledEncoding(encoding: Encoding(ids: [2, 5, 6, 7, 8, 3]), label: 1)
        #expect(try tuner.prepared([long], role: "training")[0].encoding.ids == [2, 5, 6, 3])
    }

    @Test("the schedule warms up linearly and decays to zero, and validation scores macro-F1")
    func scheduleAndScore() {
        let schedule = LearningRateSchedule(peak: 1, totalSteps: 100, warmupRatio: 0.1)
        #expect(schedule.warmupSteps == 10)
        #expect(schedule.rate(atStep: 0) == 0 && schedule.rate(atStep: 5) == 0.5 && schedule.rate(atStep: 10) == 1)
        #expect(schedule.rate(atStep: 55) == 0.5 && schedule.rate(atStep: 100) == 0)
        let score = FineTuner.score([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]], labels: [0, 1, 1, 1], classes: 2,
                                    classWeights: [1, 1], epoch: 1)
        #expect(score.accuracy == 0.75)
        #expect(abs(score.macroF1 - (2.0 / 3 + 0.8) / 2) < 1e-6)   // F1 label 0 = 2/3, label 1 = 4/5
        #expect(FineTuner.isBetter(EpochScore(epoch: 2, loss: 0.3, accuracy: 1, macroF1: 0.8),
                                   than: EpochScore(epoch: 1, loss: 0.4, accuracy: 1, macroF1: 0.8)))
        #expect(FineTuner.shuffled(10, seed: 1, epoch: 1).sorted() == Array(0..<10))
        #expect(FineTuner.shuffled(10, seed: 1, epoch: 1) != FineTuner.shuffled(10, seed: 1, epoch: 2))
    }
}
