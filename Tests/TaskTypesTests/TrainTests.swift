import Basics
import Foundation
import MLCore
import TaskInterface
import Testing
import WorkflowModel

@testable import Scoring
@testable import TaskTypes

/// A memo in memory that counts what it is asked.
final class CountingMemo: MemoCache, @unchecked Sendable {
    private let lock = NSLock()
    private var values: [ContentHash: Data] = [:]
    private(set) var hits = 0, stores = 0
    var count: Int { lock.withLock { values.count } }

    func value(for key: ContentHash) -> Data? {
        lock.withLock {
            let value = values[key]
            if value != nil { hits += 1 }
            return value
        }
    }

    func store(_ data: Data, for key: ContentHash) throws {
        lock.withLock {
            stores += 1
            values[key] = data
        }
    }
}

/// A workspace with a tiny random base model and labelled rows, for running the `train` stage.
struct TrainFixture {
    let stage: StageFixture
    let baseModel: URL

    init() throws {
        stage = try StageFixture()
        baseModel = stage.url("models/tiny")
        try Self.writeTinyModel(to: baseModel)
    }

    /// Rows a frozen random encoder can separate: "good" rows are true, "bad" rows false.
    static func tinyRows(count: Int, firstRow: Int = 2) -> [CanonicalRow] {
        let subjects = ["the cat", "a dog", "the mat", "hello world", "the cafe"]
        let tails = ["", " !", " .", " , x", " ?"]
        return (0..<count).map { index in
            let isGood = index % 2 == 0
            let text = subjects[index % 5] + " is " + (isGood ? "good" : "bad") + tails[(index / 5) % 5]
            return CanonicalRow(row: firstRow + index, input: text, label: isGood ? "true" : "false")
        }
    }

    static let booleanMetric: JSONValue = [
        "name": "goodness", "output": "boolean", "labels": ["false", "true"], "step": "llm_span", "input": "message",
    ]

    /// Runs the stage and returns its result and output folder.
    func run(rows: [CanonicalRow], seeds: [CanonicalRow] = [], train: JSONValue = ["mode": "head"],
             metric: JSONValue = TrainFixture.booleanMetric, memo: (any MemoCache)? = nil, output: String = "model")
        async throws -> (StageResult, URL)
    {
        let rowsURL = stage.url("rows-\(output).jsonl"), seedsURL = stage.url("seeds-\(output).jsonl")
        try DatasetRows.write(rows, to: rowsURL)
        try DatasetRows.write(seeds, to: seedsURL)
        var context = try stage.context(
            stage: "demo/run/train", params: ["metric": metric, "seed": 7, "train": train],
            inputs: ["rows": rowsURL, "seeds": seedsURL, "base_model": baseModel], outputs: ["model": output],
            environment: [:])
        context.memo = memo
        let result = try await Train().run(context)
        return (result, stage.url(output))
    }

    /// Runs the stage expecting a ``TaskError``; returns it.
    func failure(rows: [CanonicalRow], train: JSONValue = ["mode": "head"], metric: JSONValue = TrainFixture.booleanMetric)
        async -> TaskError?
    {
        do {
            _ = try await run(rows: rows, train: train, metric: metric)
            return nil
        } catch let error as TaskError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    /// Every file of a folder, by name.
    static func files(in folder: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            result[name] = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
        }
        return result
    }

    /// A 2-layer, hidden-32 random BERT with a pooler, written as transformers would (config, vocab, weights).
    static func writeTinyModel(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tiny = try BertEncoder.makeTiny(seed: 42)
        let c = tiny.configuration
        var tensors = tiny.weights.namedTensors
        var generator = SeededGenerator(seed: 5)
        func noise(_ scale: Float) -> Float { (Float(generator.next() >> 40) / Float(1 << 24) - 0.5) * 2 * scale }
        tensors["pooler.dense.weight"] = Tensor(shape: [c.hiddenSize, c.hiddenSize], scalars: (0..<(c.hiddenSize * c.hiddenSize)).map { _ in noise(0.2) })
        tensors["pooler.dense.bias"] = Tensor(shape: [c.hiddenSize], scalars: (0..<c.hiddenSize).map { _ in noise(0.1) })
        try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: folder.appendingPathComponent("model.safetensors"))
        let config: JSONValue = [
            "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": .int(c.hiddenSize),
            "num_hidden_layers": .int(c.layerCount), "num_attention_heads": .int(c.headCount),
            "intermediate_size": .int(c.intermediateSize), "max_position_embeddings": .int(c.maximumPositions),
            "type_vocab_size": .int(c.typeVocabularySize), "vocab_size": .int(c.vocabularySize), "layer_norm_eps": 1e-12,
            "pad_token_id": 0, "position_embedding_type": "absolute", "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
        ]
        try config.canonicalData.write(to: folder.appendingPathComponent("config.json"))
        try Data((BertEncoder.tinyVocabulary.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("vocab.txt"))
        try Data(#"{"do_lower_case": true, "tokenizer_class": "BertTokenizer", "model_max_length": 64}"#.utf8)
            .write(to: folder.appendingPathComponent("tokenizer_config.json"))
    }
}

@Suite struct TrainTests {
    @Test func headModeWritesAFolderThatMetricModelScores() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = TrainFixture.tinyRows(count: 40)
        let (result, folder) = try await fixture.run(rows: Array(rows[..<32]), seeds: Array(rows[32...]))
        let files = try TrainFixture.files(in: folder).keys.sorted()
        #expect(files == ["config.json", "head.safetensors", "metric.json", "model.safetensors", "tokenizer_config.json",
                          "training-curve.json", "vocab.txt"])
        #expect(result.metrics["training_rows"] == 40)  // seeds included; no validation slice: every row trains
        #expect(result.metrics["validation_rows"] == 0)

        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.labels == ["false", "true"])
        #expect(model.info.mode == .head)
        #expect(model.info.pooling == .mean)
        #expect(model.info.rendering == RowRendering(format: .message, maxTokens: 64))
        #expect(model.info.threshold?.positiveLabel == "true")
        #expect(model.info.threshold?.tuned != nil)
        #expect(model.info.threshold?.selection?["chosen_on"] == "out_of_fold")
        #expect(model.info.threshold?.selection?["rows"] == 40)  // every training row, each scored by a model that never saw it
        #expect(model.info.threshold?.selection?["policy"] == "macro_f1")
        // Under 200 rows 10 folds are wanted, but the rows fall into 7 groups per label once punctuation is
        // ignored ("the cat is good !" and "the cat is good ." share an input), and a group stays in one fold.
        #expect(model.info.training["cross_validation_folds"] == 7)
        #expect(model.info.baseModelName == "tiny")
        #expect(model.info.baseModelDigest.hasPrefix("sha256:"))
        let predictions = try model.predictions(for: rows)
        let correct = zip(predictions, rows).filter { $0.label == $1.label }.count
        #expect(correct >= 38, "\(correct) of 40 right")
        #expect(predictions.allSatisfy { abs($0.probabilities.reduce(0, +) - 1) < 1e-5 })

        let curve = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent("training-curve.json")))
        #expect(curve["mode"] == "head")
        #expect((curve["step_loss"]?.arrayValue?.count ?? 0) > 2)
        #expect(curve["l2_search"]?.arrayValue?.count == TrainSettings.l2Candidates.count)  // cross-validated
    }

    @Test func secondRunTakesEveryEmbeddingFromTheMemo() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let memo = CountingMemo()
        let rows = TrainFixture.tinyRows(count: 30)
        let (first, _) = try await fixture.run(rows: rows, memo: memo, output: "first")
        #expect(first.metrics["embeddings_encoded"] == 30)
        #expect(first.metrics["embeddings_cached"] == 0)
        #expect(memo.count == 31)  // 30 embeddings + the model digest
        let (second, _) = try await fixture.run(rows: rows, train: ["mode": "head", "l2": 0.01], memo: memo, output: "second")
        #expect(second.metrics["embeddings_encoded"] == 0)
        #expect(second.metrics["embeddings_cached"] == 30)
        let (third, _) = try await fixture.run(rows: rows, train: ["mode": "head", "max_tokens": 32], memo: memo, output: "third")
        #expect(third.metrics["embeddings_encoded"] == 30)  // another token budget is another embedding
    }

    @Test func sameRowsAndSettingsGiveAByteIdenticalFolder() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = TrainFixture.tinyRows(count: 24)
        let (_, a) = try await fixture.run(rows: rows, memo: CountingMemo(), output: "a")
        let (_, b) = try await fixture.run(rows: rows, memo: nil, output: "b")
        let filesA = try TrainFixture.files(in: a), filesB = try TrainFixture.files(in: b)
        #expect(filesA.keys.sorted() == filesB.keys.sorted())
        for name in filesA.keys.sorted() { #expect(filesA[name] == filesB[name], "\(name) differs") }
        let metricJSON = String(decoding: filesA["metric.json"] ?? Data(), as: UTF8.self)
        #expect(metricJSON.hasPrefix("{\n  \"base_model\": {\n"))
        #expect(!metricJSON.contains(fixture.stage.root.path))
        // Head mode's bytes do not depend on the thread count, so it is not recorded.
        #expect(!metricJSON.contains("\"threads\""))
        let (_, single) = try await fixture.run(rows: rows, train: ["mode": "head", "threads": 1], memo: nil, output: "c")
        let filesC = try TrainFixture.files(in: single)
        for name in filesA.keys.sorted() { #expect(filesA[name] == filesC[name], "\(name) differs with 1 thread") }
    }

    @Test func clsPoolingWritesASequenceClassificationFolder() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = TrainFixture.tinyRows(count: 20)
        let (_, folder) = try await fixture.run(rows: rows, train: ["mode": "head", "pooling": "cls"])
        let config = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent("config.json")))
        #expect(config["architectures"] == ["BertForSequenceClassification"])
        #expect(config["id2label"] == ["0": "false", "1": "true"])
        let weights = try SafeTensorsFile(path: folder.appendingPathComponent("model.safetensors").path)
        #expect(weights.names.contains("classifier.bias"))
        #expect(weights.names.contains("bert.pooler.dense.bias"))
        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.pooling == .cls)
        #expect(try model.probabilities(for: rows).count == 20)
    }

    @Test func categoricalMetricHasNoThresholdAndPredictsByArgMax() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = (0..<30).map { index in
            let label = ["cat", "dog", "mat"][index % 3]
            return CanonicalRow(row: index + 2, input: "the \(label) is " + (index % 2 == 0 ? "good" : "bad"), label: label)
        }
        let metric: JSONValue = ["name": "animal", "output": "categorical", "labels": ["cat", "dog", "mat"], "input": "message"]
        let (_, folder) = try await fixture.run(rows: rows, metric: metric)
        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.threshold == nil)
        #expect(model.defaultThreshold == nil)
        let predictions = try model.predictions(for: rows)
        #expect(zip(predictions, rows).filter { $0.label == $1.label }.count >= 27)
    }

    @Test func failuresSayWhatIsWrongAndHowToFixIt() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = TrainFixture.tinyRows(count: 20)

        let onlyTrue = rows.filter { $0.label == "true" }
        let noFalse = await fixture.failure(rows: onlyTrue)
        #expect(noFalse?.message == "label 'false' has no training rows")
        #expect(noFalse?.code == .invalidInput)

        let tooFew = await fixture.failure(rows: Array(rows[..<5]))
        #expect(tooFew?.message == "too few training rows: 5; training needs at least 8")

        var unlabelled = rows
        unlabelled[3].label = nil
        #expect(await fixture.failure(rows: unlabelled)?.message == "training row 5 has no label; training needs every row labelled")

        var unknown = rows
        unknown[4].label = "maybe"
        #expect(await fixture.failure(rows: unknown)?.message
                    == "training row 6 has label 'maybe', which is not one of the metric's labels 'false', 'true'")

        let typo = await fixture.failure(rows: rows, train: ["mode": "head", "epoch": 3])
        #expect(typo?.message == "train.epoch: unknown key 'epoch' in 'train'")
        #expect(typo?.remedy == "did you mean 'epochs'?")

        let badMode = await fixture.failure(rows: rows, train: ["mode": "partial"])
        #expect(badMode?.message == "train.mode: unknown mode 'partial'")

        let badFolds = await fixture.failure(rows: rows, train: ["mode": "head", "cv_folds": 1])
        #expect(badFolds?.message == "train.cv_folds: cv_folds must be auto, or 0, or an integer between 2 and 20, found 1")
        let badPolicy = await fixture.failure(rows: rows, train: ["mode": "head", "threshold": ["target_precision": 1.5]])
        #expect(badPolicy?.message == "train.threshold.target_precision: target_precision must be greater than 0 and at most 1, found 1.5")

        let badWeights = await fixture.failure(rows: rows, train: ["mode": "head", "class_weights": [1, 2, 3]])
        #expect(badWeights?.message == "train.class_weights: class_weights lists 3 weights for 2 labels")
    }

    @Test func settingsDefaultsAndClassWeighting() throws {
        let defaults = try TrainSettings(params: ["seed": 3], environment: ["LUNETTE_THREADS": "4"])
        #expect(defaults.mode == .auto)
        #expect(defaults.threshold == .macroF1)
        #expect(defaults.crossValidationFolds == nil)
        #expect(defaults.seed == 3)
        #expect(defaults.threads == 4)
        #expect(defaults.validationFraction == 0)
        #expect(defaults.folds(mode: .head, rows: 150, smallestLabel: 60) == 10)
        #expect(defaults.folds(mode: .head, rows: 900, smallestLabel: 300) == 5)
        #expect(defaults.folds(mode: .head, rows: 900, smallestLabel: 3) == 3)  // never more than the smallest label
        #expect(defaults.folds(mode: .head, rows: 900, smallestLabel: 1) == 0)
        #expect(defaults.folds(mode: .full, rows: 1_000, smallestLabel: 300) == 3)  // 1,000 rows × 4 epochs: within budget
        #expect(defaults.folds(mode: .full, rows: 1_001, smallestLabel: 300) == 0)
        #expect(try defaults.resolvedClassWeights(counts: [10, 12]) == nil)  // within 2×: none
        #expect(try defaults.resolvedClassWeights(counts: [10, 30]) == [2, 2.0 / 3])  // balanced
        let none = try TrainSettings(params: ["train": ["class_weights": "none"]], environment: [:])
        #expect(try none.resolvedClassWeights(counts: [10, 30]) == nil)
    }

    @Test func validationSliceIsStratified() {
        let labels = (0..<50).map { $0 < 40 ? 0 : 1 }
        let (training, validation) = TrainValidationSplit.split(labels: labels, labelCount: 2, fraction: 0.1, seed: 7)
        #expect(validation.filter { labels[$0] == 0 }.count == 4)
        #expect(validation.filter { labels[$0] == 1 }.count == 1)
        #expect(Set(training).union(validation) == Set(0..<50))
        #expect(TrainValidationSplit.split(labels: labels, labelCount: 2, fraction: 0.1, seed: 7).validation == validation)

    }

    @Test func fullModeRunsTheFineTuner() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = TrainFixture.tinyRows(count: 24)
        let (result, folder) = try await fixture.run(
            rows: rows, train: ["mode": "full", "epochs": 2, "batch_size": 8, "learning_rate": 1e-3, "validation_fraction": 0.1, "cv_folds": 0],
            output: "full")
        #expect(result.metrics["mode"] == "full")
        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.mode == .full)
        let curve = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent("training-curve.json")))
        #expect(curve["step_loss"]?.arrayValue?.count == 6)  // 22 training rows / batch 8 → 3 steps × 2 epochs
        #expect(try model.probabilities(for: rows).count == 24)
        #expect(model.artifact.encoder.weights != (try BertEncoder(modelDirectory: fixture.baseModel, threads: 1)).weights)

        let (_, again) = try await fixture.run(
            rows: rows, train: ["mode": "full", "epochs": 2, "batch_size": 8, "learning_rate": 1e-3, "validation_fraction": 0.1, "cv_folds": 0],
            output: "again")
        let first = try TrainFixture.files(in: folder), second = try TrainFixture.files(in: again)
        #expect(first.keys.sorted() == second.keys.sorted())
        for name in first.keys.sorted() { #expect(first[name] == second[name], "\(name) differs") }
    }
}
