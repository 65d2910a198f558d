import Basics
import Foundation
import MLCore
import TaskInterface

extension TrainJob {
    /// `mode: head`: the encoder stays frozen; a linear softmax head is fitted on memoised embeddings.
    ///
    /// Over a pair with `pair_features` (the default), each row's vector is ``HeadFeatures/pair``: the
    /// joint embedding, each side's own embedding (memoised as rows of their own), their absolute
    /// difference and their product.
    ///
    /// Without `train.l2`, λ is the one of ``TrainSettings/l2Candidates`` with the lowest pooled held-out
    /// loss over `folds` stratified folds of the training rows (``chooseL2(features:labels:labelCount:folds:)``),
    /// whose out-of-fold probabilities the outcome carries; the head is then fitted on all training rows.
    func trainHead(folds: Int) throws -> Outcome {
        let started = ContinuousClock.now
        var (features, counts) = try embeddings.features(
            inputs: inputs, encodings: encodings, encoder: encoder, batchSize: max(settings.batchSize, 32)
        ) { done, total in
            context.reporter.progress(completed: done, total: total, label: "encoding rows")
        }
        if let sides {
            let (sideVectors, sideCounts) = try embeddings.features(
                inputs: sides.inputs, encodings: sides.encodings, encoder: encoder, batchSize: max(settings.batchSize, 32)
            ) { done, total in
                context.reporter.progress(completed: done, total: total, label: "encoding each side of the pairs")
            }
            features = features.indices.map {
                HeadFeatures.pairVector(joint: features[$0], first: sideVectors[$0], second: sideVectors[features.count + $0])
            }
            counts.hits += sideCounts.hits
            counts.misses += sideCounts.misses
        }
        context.reporter.log("train: embeddings: \(counts.hits) from the cache, \(counts.misses) encoded")
        let trainFeatures = trainIndices.map { features[$0] }, trainLabels = trainIndices.map { labels[$0] }
        let validationFeatures = validationIndices.map { features[$0] }, validationLabels = validationIndices.map { labels[$0] }
        let labelCount = metric.labels.count

        let search = try chooseL2(features: trainFeatures, labels: trainLabels, labelCount: labelCount, folds: folds)
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
        var curve: [String: JSONValue] = [
            "mode": "head",
            "step_loss": .array(best.fit.lossPerIteration.map { .float(Float($0)) }),
            "epochs": validationIndices.isEmpty
                ? [] : [Self.epochJSON(epoch: 1, loss: score.loss, accuracy: score.accuracy, macroF1: score.macroF1)],
            "best_epoch": 1,
            "l2_search": .array(search.log),
        ]
        if headFeatures == .pair { curve["head_features"] = .string(headFeatures.rawValue) }
        var metrics: [String: JSONValue] = [
            "embeddings_cached": .int(counts.hits), "embeddings_encoded": .int(counts.misses), "l2": .double(best.l2),
            "seconds": .int(Int(seconds)),
        ]
        if !validationIndices.isEmpty { metrics["validation_macro_f1"] = .float(Float(score.macroF1)) }
        return Outcome(
            weights: encoder.weights, head: best.fit.head, headFeatures: headFeatures, validationProbabilities: best.probabilities,
            outOfFold: search.outOfFold, folds: search.outOfFold == nil ? 0 : folds, curve: .object(curve),
            extraSettings: ["chosen_l2": .double(best.l2)], metrics: metrics,
            summarySuffix: validationIndices.isEmpty ? "" : String(format: ", validation macro-F1 %.3f", score.macroF1))
    }
}

extension TrainJob {
    /// Picks the L2 strength: `train.l2` when set; else the one of ``TrainSettings/l2Candidates`` with the
    /// lowest pooled held-out log loss over `folds` stratified, grouped folds (``foldAssignment(folds:)``).
    ///
    /// - Returns: The strength, the search log, and the out-of-fold probabilities of every training row at
    ///   that strength (`nil` with fewer than 2 folds, when ``TrainSettings/defaultL2`` or `train.l2` is used
    ///   without cross-validation).
    func chooseL2(features: [[Float]], labels: [Int], labelCount: Int, folds k: Int) throws
        -> (l2: Double, log: [JSONValue], outOfFold: [[Float]]?)
    {
        guard k >= 2 else { return (settings.l2 ?? TrainSettings.defaultL2, [], nil) }
        let fold = foldAssignment(folds: k)
        var starts = [ClassifierHead?](repeating: nil, count: k)
        var best: (l2: Double, loss: Double, outOfFold: [[Float]])?
        var log: [JSONValue] = []
        for l2 in settings.l2.map({ [$0] }) ?? TrainSettings.l2Candidates {
            var outOfFold = [[Float]](repeating: [], count: labels.count)
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
                for (position, probabilities) in zip(outside, held) { outOfFold[position] = probabilities }
            }
            let pooled = Self.scores(probabilities: outOfFold, truth: labels, labelCount: labelCount)
            log.append(["l2": .double(l2), "cv_loss": .float(Float(pooled.loss)), "cv_macro_f1": .float(Float(pooled.macroF1))])
            if best == nil || pooled.loss < (best?.loss ?? .infinity) { best = (l2, pooled.loss, outOfFold) }
        }
        return (best?.l2 ?? TrainSettings.defaultL2, log, best?.outOfFold)
    }
}
