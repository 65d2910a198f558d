import Basics
import Foundation
import MLCore
import Testing

@testable import Scoring
@testable import TaskTypes

/// Model selection on out-of-fold predictions (issue 13): full mode's epochs, `mode: auto`, the threshold,
/// and the refit on every training row.
@Suite struct TrainSelectionTests {
    static let full: JSONValue = ["mode": "full", "epochs": 3, "batch_size": 8, "learning_rate": 1e-3]

    @Test func fullModeChoosesItsEpochsByCrossValidationThenRefitsOnEveryRow() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = TrainFixture.tinyRows(count: 24)
        let (result, folder) = try await fixture.run(rows: rows, train: Self.full, output: "cv")
        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.rows["training"] == 24)
        #expect(model.info.rows["validation"] == 0)
        #expect(model.info.training["cross_validation_folds"] == 3)  // 24 rows × 3 epochs: within the budget
        #expect(model.info.threshold?.selection?["chosen_on"] == "out_of_fold")
        #expect(model.info.threshold?.selection?["rows"] == 24)

        let curve = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent("training-curve.json")))
        let folds = try #require(curve["cross_validation"]?.arrayValue)
        #expect(folds.map { $0["epoch"] } == [1, 2, 3])
        #expect(folds.allSatisfy { ($0["cv_macro_f1"]?.doubleValue ?? -1) >= 0 })
        let epochs = try #require(result.metrics["best_epoch"]?.intValue)
        #expect((1...3).contains(epochs))
        #expect(curve["step_loss"]?.arrayValue?.count == 3 * epochs)  // 24 rows / batch 8, stopped after the chosen epoch
        #expect(result.summary?.contains("of 3 epochs by 3-fold cross-validation") == true)

        let (_, again) = try await fixture.run(rows: rows, train: Self.full, output: "cv-again")
        let first = try TrainFixture.files(in: folder), second = try TrainFixture.files(in: again)
        for name in first.keys.sorted() { #expect(first[name] == second[name], "\(name) differs") }
    }

    @Test func autoModeTrainsTheModeWithTheBetterOutOfFoldScore() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = TrainFixture.tinyRows(count: 24)
        var settings = Self.full.objectValue ?? [:]
        settings["mode"] = "auto"
        let (result, folder) = try await fixture.run(rows: rows, train: .object(settings), output: "auto")
        let model = try MetricModel(folder: folder, threads: 1)
        let comparison = try #require(model.info.training["auto_mode"])
        let head = try #require(comparison["head_macro_f1"]?.doubleValue), full = try #require(comparison["full_macro_f1"]?.doubleValue)
        let chosen = head > full ? "head" : "full"
        #expect(comparison["chosen"]?.stringValue == chosen)
        #expect(comparison["folds"] == 3)
        #expect(model.info.mode.rawValue == chosen)
        #expect(result.metrics["mode"]?.stringValue == chosen)
        #expect(result.summary?.contains("(auto → \(chosen) mode)") == true)
    }

    @Test func autoModeFineTunesWithoutComparingPastTheBudget() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = TrainFixture.tinyRows(count: 24)
        let (_, folder) = try await fixture.run(
            rows: rows, train: ["mode": "auto", "epochs": 1, "batch_size": 8, "learning_rate": 1e-3, "cv_folds": 0], output: "big")
        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.mode == .full)
        #expect(model.info.training["auto_mode"]?["reason"] == "not cross-validated")
        #expect(model.info.threshold?.tuned == nil)  // no out-of-fold rows, no slice: 0.5
        #expect(model.defaultThreshold == 0.5)
    }

    @Test func seedsAverageSeveralFineTunedModelsIntoOneMetric() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = TrainFixture.tinyRows(count: 24)
        let settings: JSONValue = ["mode": "full", "epochs": 2, "batch_size": 8, "learning_rate": 1e-3, "seeds": 2, "cv_folds": 0]
        let (result, folder) = try await fixture.run(rows: rows, train: settings, output: "ensemble")
        #expect(result.summary?.hasSuffix(", 2 seeds averaged") == true)
        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.members == 2)
        #expect(model.members.count == 1)
        #expect(model.members[0].encoder.weights != model.artifact.encoder.weights)  // seed 8 is another model than seed 7

        // The metric's probabilities are the mean of its members', as a Python user averaging them would get.
        let encodings = try rows.map { try model.info.rendering.encode($0, tokenizer: try #require(model.artifact.encoder.tokenizer)) }
        let first = try classify(encoder: model.artifact.encoder, head: model.artifact.head, pooling: .mean, encodings: encodings, batchSize: 8)
        let second = try classify(encoder: model.members[0].encoder, head: model.members[0].head, pooling: .mean,
                                  encodings: encodings, batchSize: 8)
        let averaged = try model.probabilities(for: rows)
        for row in rows.indices {
            for label in 0..<2 { #expect(abs(averaged[row][label] - (first[row][label] + second[row][label]) / 2) < 1e-6) }
        }
        let metricJSON = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent("metric.json")))
        #expect(metricJSON["ensemble"] == ["members": 2, "folder": "members"])

        // Deterministic, members included.
        let (_, again) = try await fixture.run(rows: rows, train: settings, output: "ensemble-again")
        for sub in ["", "members/2"] {
            let one = try TrainFixture.files(in: folder.appendingPathComponent(sub))
            let two = try TrainFixture.files(in: again.appendingPathComponent(sub))
            for name in one.keys.sorted() { #expect(one[name] == two[name], "\(sub)/\(name) differs") }
        }

        let head = await fixture.failure(rows: rows, train: ["mode": "head", "seeds": 3])
        #expect(head?.message == "train.seeds: 3 needs mode full or auto: head mode's fit does not depend on the seed")
    }

    /// With cross-validation the folds choose the epoch: a validation slice is then only scored, never
    /// early-stopped on, and every member of a seed ensemble stops after the same chosen epoch.
    @Test func crossValidatedFineTunesStopAtTheChosenEpochWithASliceOrSeveralSeeds() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = TrainFixture.tinyRows(count: 24)
        let settings: JSONValue = ["mode": "full", "epochs": 3, "batch_size": 8, "learning_rate": 1e-3, "seeds": 2,
                                   "validation_fraction": 0.25]
        let (result, folder) = try await fixture.run(rows: rows, train: settings, output: "cv-slice")
        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.rows["validation"] == 6)
        #expect(model.info.training["cross_validation_folds"] == 3)
        #expect(model.info.threshold?.selection?["chosen_on"] == "out_of_fold")
        #expect(model.members.count == 1)
        let curve = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent("training-curve.json")))
        #expect(curve["epochs"] == [])  // the final fine-tune was not scored per epoch: no early stopping
        let epochs = try #require(result.metrics["best_epoch"]?.intValue)
        #expect(curve["step_loss"]?.arrayValue?.count == 3 * epochs)  // 18 rows / batch 8 = 3 steps per epoch
        #expect(result.metrics["validation_macro_f1"] != nil)  // the slice is still scored, by the averaged members
    }

    @Test func foldsKeepRowsSharingAnInputTogetherAndStayStratified() {
        // Pairs: each context twice (a supported and an unsupported summary); messages that differ only by punctuation.
        let texts = ["Paris is in France.", "paris is in france", "It rains.", "It rains", "Dogs bark!", "dogs bark", "?", "!"]
        let labels = [1, 0, 1, 0, 1, 0, 1, 0]
        let fold = TrainJob.foldAssignment(texts: texts, labels: labels, labelCount: 2, folds: 2)
        #expect(fold[0] == fold[1] && fold[2] == fold[3] && fold[4] == fold[5])
        #expect(TrainJob.groups(texts: texts).count == 5)
        // One row per group: rows dealt to the folds in turn within each label, as before grouping.
        let single = TrainJob.foldAssignment(texts: (0..<9).map { "row \($0)" }, labels: [0, 0, 0, 1, 1, 1, 0, 1, 0],
                                             labelCount: 2, folds: 3)
        #expect(single == [0, 1, 2, 0, 1, 2, 0, 0, 1])
    }

    @Test func epochCountIsShrunkTowardTheLastEpoch() {
        // 400 rows: tolerance max(0.02, 0.5/20) = 0.025.
        #expect(TrainJob.chosenEpoch(scores: [0.70, 0.80, 0.78, 0.77], rows: 400) == 2)  // 0.03 better: taken
        #expect(TrainJob.chosenEpoch(scores: [0.70, 0.79, 0.78, 0.77], rows: 400) == 4)  // 0.02 better: within noise
        #expect(TrainJob.chosenEpoch(scores: [0.70, 0.80, 0.78, 0.77], rows: 100) == 4)  // 100 rows: 0.05 needed
        #expect(TrainJob.chosenEpoch(scores: [0.9, 0.9, 0.8], rows: 10_000) == 1)  // a tie goes to fewer epochs
        #expect(TrainJob.chosenEpoch(scores: [0.5], rows: 10) == 1)
    }

    @Test func thresholdPolicyNoneKeepsOneHalf() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let (_, folder) = try await fixture.run(rows: TrainFixture.tinyRows(count: 30), train: ["mode": "head", "threshold": "none"])
        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.threshold?.tuned == nil)
        #expect(model.info.training["threshold"] == "none")
    }
}
