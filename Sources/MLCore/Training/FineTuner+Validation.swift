import Foundation

/// Checking examples before training, and scoring the model on the validation examples.
extension FineTuner {
    /// The examples with labels and ids checked and each encoding cut to `maxTokens` (keeping its last token).
    func prepared(_ examples: [LabelledEncoding], role: String) throws -> [LabelledEncoding] {
        let c = encoder.configuration
        let limit = min(settings.maxTokens, c.maximumPositions)
        return try examples.enumerated().map { index, example in
            guard (0..<labels).contains(example.label) else {
                throw MLCoreError(.invalidInput, "\(role) example \(index) has label \(example.label); labels are 0..<\(labels)")
            }
            guard example.encoding.count > 0 else {
                throw MLCoreError(.invalidInput, "\(role) example \(index) has no tokens; encode it with [CLS] and [SEP]")
            }
            if let bad = example.encoding.ids.first(where: { $0 < 0 || $0 >= c.vocabularySize }) {
                throw MLCoreError(.invalidInput, "\(role) example \(index) has token id \(bad) outside the vocabulary (0..<\(c.vocabularySize))")
            }
            if let bad = example.encoding.typeIDs.first(where: { $0 < 0 || $0 >= c.typeVocabularySize }) {
                throw MLCoreError(.invalidInput, "\(role) example \(index) has token type \(bad) outside 0..<\(c.typeVocabularySize)")
            }
            guard example.encoding.count > limit else { return example }
            let ids = example.encoding.ids, types = example.encoding.typeIDs
            let cut = Encoding(ids: Array(ids.prefix(limit - 1)) + [ids[ids.count - 1]],
                               typeIDs: Array(types.prefix(limit - 1)) + [types[types.count - 1]])
            return LabelledEncoding(encoding: cut, label: example.label)
        }
    }

    /// Loss, accuracy and macro-F1 of the model's current weights on `examples` (dropout off), and the
    /// examples' probabilities.
    func evaluate(_ model: TrainableModel, on examples: [LabelledEncoding], epoch: Int, classWeights: [Float]) throws
        -> (score: EpochScore, probabilities: [[Float]])
    {
        let (weights, head) = model.weights(template: encoder.weights)
        let current = try BertEncoder(configuration: encoder.configuration, weights: weights, tokenizer: nil,
                                      threads: settings.threads)
        let probabilities = try classify(encoder: current, head: head, pooling: settings.pooling,
                                         encodings: examples.map(\.encoding), batchSize: max(settings.batchSize, 32))
        let score = Self.score(probabilities, labels: examples.map(\.label), classes: labels, classWeights: classWeights,
                               epoch: epoch)
        return (score, probabilities)
    }

    /// Class-weighted mean cross-entropy, accuracy, and the mean F1 over labels present in the truth or the predictions.
    static func score(_ probabilities: [[Float]], labels truth: [Int], classes: Int, classWeights: [Float], epoch: Int) -> EpochScore {
        var loss: Double = 0, weight: Double = 0, correct = 0
        var truePositives = [Int](repeating: 0, count: classes)
        var predicted = [Int](repeating: 0, count: classes), actual = [Int](repeating: 0, count: classes)
        for (row, label) in zip(probabilities, truth) {
            let guess = row.indices.max { (row[$0], $1) < (row[$1], $0) } ?? 0  // ties → lower index
            let w = Double(classWeights[label])
            loss -= w * Foundation.log(Double(max(row[label], Float.leastNormalMagnitude)))
            weight += w
            predicted[guess] += 1
            actual[label] += 1
            if guess == label { correct += 1; truePositives[label] += 1 }
        }
        let present = (0..<classes).filter { predicted[$0] + actual[$0] > 0 }
        let f1 = present.map { label -> Double in
            Double(2 * truePositives[label]) / Double(predicted[label] + actual[label])
        }
        return EpochScore(epoch: epoch, loss: Float(weight > 0 ? loss / weight : 0),
                          accuracy: truth.isEmpty ? 0 : Float(correct) / Float(truth.count),
                          macroF1: f1.isEmpty ? 0 : Float(f1.reduce(0, +) / Double(f1.count)))
    }
}
