import Basics
import Foundation
import MLCore
import TaskInterface

extension TrainJob {
    /// `mode: head`: the encoder stays frozen; a linear softmax head is fitted on memoised embeddings.
    ///
    /// Without `train.l2`, λ is the one of ``TrainSettings/l2Candidates`` with the lowest mean held-out
    /// loss over 5 stratified folds of the training rows (``chooseL2(features:labels:labelCount:)``); the
    /// head is then fitted on all training rows.
    func trainHead() throws -> Outcome {
        let started = ContinuousClock.now
        let (features, counts) = try embeddings.features(
            inputs: inputs, encodings: encodings, encoder: encoder, batchSize: max(settings.batchSize, 32)
        ) { done, total in
            context.reporter.progress(completed: done, total: total, label: "encoding rows")
        }
        context.reporter.log("train: embeddings: \(counts.hits) from the cache, \(counts.misses) encoded")
        let trainFeatures = trainIndices.map { features[$0] }, trainLabels = trainIndices.map { labels[$0] }
        let validationFeatures = validationIndices.map { features[$0] }, validationLabels = validationIndices.map { labels[$0] }
        let labelCount = metric.labels.count

        let search = try chooseL2(features: trainFeatures, labels: trainLabels, labelCount: labelCount)
        let fit: LinearHead.Fit
        do {
            fit = try LinearHead.train(
                features: trainFeatures, labels: trainLabels, labelCount: labelCount,
                settings: LinearHead.Settings(l2: search.l2, classWeights: classWeights), isCancelled: { Task.isCancelled })
        } catch let error as MLCoreError {
            throw TaskError("head training failed: \(error.message)",
                            remedy: "check the training rows; a NaN loss means the embeddings are not finite")
        }
        if fit.lossPerIteration.contains(where: { !$0.isFinite }) {
            throw TaskError("head training diverged: the loss became NaN", remedy: "set train.l2 to a larger value")
        }
        let best = (fit: fit, l2: search.l2, probabilities: LinearHead.probabilities(features: validationFeatures, head: fit.head))
        let score = Self.scores(probabilities: best.probabilities, truth: validationLabels, labelCount: labelCount)
        let seconds = (ContinuousClock.now - started).components.seconds
        context.reporter.log("train: head fitted with l2 \(best.l2) in \(best.fit.lossPerIteration.count - 1) iterations"
            + (validationIndices.isEmpty ? "" : String(format: "; validation macro-F1 %.3f", score.macroF1)))
        let curve: JSONValue = [
            "mode": "head",
            "step_loss": .array(best.fit.lossPerIteration.map { .float(Float($0)) }),
            "epochs": validationIndices.isEmpty
                ? [] : [Self.epochJSON(epoch: 1, loss: score.loss, accuracy: score.accuracy, macroF1: score.macroF1)],
            "best_epoch": 1,
            "l2_search": .array(search.log),
        ]
        var metrics: [String: JSONValue] = [
            "embeddings_cached": .int(counts.hits), "embeddings_encoded": .int(counts.misses), "l2": .double(best.l2),
            "seconds": .int(Int(seconds)),
        ]
        if !validationIndices.isEmpty { metrics["validation_macro_f1"] = .float(Float(score.macroF1)) }
        return Outcome(
            weights: encoder.weights, head: best.fit.head, validationProbabilities: best.probabilities, curve: curve,
            extraSettings: ["chosen_l2": .double(best.l2)], metrics: metrics,
            summarySuffix: validationIndices.isEmpty ? "" : String(format: ", validation macro-F1 %.3f", score.macroF1))
    }
}

extension TrainJob {
    /// Picks the L2 strength: `train.l2` when set; else cross-validation over ``TrainSettings/l2Candidates``.
    ///
    /// Folds are stratified and deterministic: the training rows of each label, in row order, are dealt
    /// to folds in turn. `k` = min(5, rows of the smallest label); with k < 2, ``TrainSettings/defaultL2``.
    func chooseL2(features: [[Float]], labels: [Int], labelCount: Int) throws -> (l2: Double, log: [JSONValue]) {
        if let l2 = settings.l2 { return (l2, []) }
        let smallest = (0..<labelCount).map { label in labels.filter { $0 == label }.count }.min() ?? 0
        let k = min(5, smallest)
        guard k >= 2 else { return (TrainSettings.defaultL2, []) }
        var fold = [Int](repeating: 0, count: labels.count), dealt = [Int](repeating: 0, count: labelCount)
        for (index, label) in labels.enumerated() {
            fold[index] = dealt[label] % k
            dealt[label] += 1
        }
        var starts = [ClassifierHead?](repeating: nil, count: k)
        var best: (l2: Double, loss: Double)?
        var log: [JSONValue] = []
        for l2 in TrainSettings.l2Candidates {
            var loss = 0.0, probabilities: [[Float]] = [], truth: [Int] = []
            for part in 0..<k {
                let inside = labels.indices.filter { fold[$0] != part }, outside = labels.indices.filter { fold[$0] == part }
                let fit: LinearHead.Fit
                do {
                    fit = try LinearHead.train(
                        features: inside.map { features[$0] }, labels: inside.map { labels[$0] }, labelCount: labelCount,
                        settings: LinearHead.Settings(l2: l2, classWeights: classWeights), start: starts[part],
                        isCancelled: { Task.isCancelled })
                } catch let error as MLCoreError {
                    throw TaskError("head training failed: \(error.message)",
                                    remedy: "check the training rows; a NaN loss means the embeddings are not finite")
                }
                starts[part] = fit.head
                let held = LinearHead.probabilities(features: outside.map { features[$0] }, head: fit.head)
                let score = Self.scores(probabilities: held, truth: outside.map { labels[$0] }, labelCount: labelCount)
                loss += score.loss * Double(outside.count)
                probabilities += held
                truth += outside.map { labels[$0] }
            }
            loss /= Double(labels.count)
            let pooled = Self.scores(probabilities: probabilities, truth: truth, labelCount: labelCount)
            log.append(["l2": .double(l2), "cv_loss": .float(Float(loss)), "cv_macro_f1": .float(Float(pooled.macroF1))])
            if best == nil || loss < (best?.loss ?? .infinity) { best = (l2, loss) }
        }
        return (best?.l2 ?? TrainSettings.defaultL2, log)
    }
}
