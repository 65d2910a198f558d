import Basics
import Foundation
import MLCore
import TaskInterface
import Testing
import WorkflowModel

@testable import Scoring
@testable import TaskTypes

/// Head mode over a pair reads ``HeadFeatures/pair``: the joint embedding and each side's own.
@Suite struct TrainPairFeaturesTests {
    static let pairMetric: JSONValue = [
        "name": "supported", "output": "boolean", "labels": ["false", "true"], "input": "input_output",
    ]

    /// Pairs whose label depends on the output alone (with documents and tools for `rag` and `tools`).
    static func pairRows(count: Int, withOutput: Bool = true) -> [CanonicalRow] {
        let inputs = ["the cat is here", "a dog and the mat", "hello world", "the cafe is good"]
        return (0..<count).map { index in
            let isTrue = index % 2 == 0
            let output = isTrue ? "the cat" : "a dog is bad , the mat is bad ."
            return CanonicalRow(row: index + 2, input: withOutput ? inputs[(index / 2) % inputs.count] + (index % 3 == 0 ? " !" : "") : output,
                                output: withOutput ? output : nil, documents: ["the mat is here .", inputs[index % 4]],
                                tools: [["name": "search"]], label: isTrue ? "true" : "false")
        }
    }

    static func metric(_ format: InputFormat) -> JSONValue {
        ["name": "supported", "output": "boolean", "labels": ["false", "true"], "input": .string(format.rawValue)]
    }

    @Test func pairVectorIsJointThenSidesThenDifferenceAndProduct() {
        let vector = HeadFeatures.pairVector(joint: [9, 8], first: [1, -2], second: [3, 0.5])
        #expect(vector == [9, 8, 1, -2, 3, 0.5, 2, 2.5, 3, -1])
        #expect(HeadFeatures.pooled.widthFactor == 1 && HeadFeatures.pair.widthFactor == 5)
    }

    @Test func headModeOverAPairScoresWhatTheJointAndEachSideGive() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = Self.pairRows(count: 24)
        let memo = CountingMemo()
        let (result, folder) = try await fixture.run(rows: rows, train: ["mode": "head", "l2": 1e-3], metric: Self.pairMetric,
                                                     memo: memo)
        #expect(result.metrics["embeddings_encoded"] == 72)  // the joint pair and each side alone
        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.headFeatures == .pair)
        #expect(model.info.selectionSummary["head_features"] == "pair")
        let hidden = model.artifact.encoder.configuration.hiddenSize
        #expect(model.artifact.head.weight.shape == [2, 5 * hidden])
        let metricJSON = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent("metric.json")))
        #expect(metricJSON["head_features"] == "pair")
        #expect(metricJSON["training"]?["pair_features"] == true)
        let curve = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent("training-curve.json")))
        #expect(curve["head_features"] == "pair")

        // The same vectors by hand, from the base encoder: the joint pair, then each side alone.
        let base = try BertEncoder(modelDirectory: fixture.baseModel, threads: 1)
        let tokenizer = try #require(base.tokenizer)
        let rendering = model.info.rendering
        let joint = try rows.map { try rendering.encode($0, tokenizer: tokenizer) }
        let sides = try rows.map { try #require(try rendering.encodeSides($0, tokenizer: tokenizer)) }
        let features = try base.pairFeatures(joint: joint, first: sides.map(\.first), second: sides.map(\.second), pooling: .mean)
        let expected = LinearHead.probabilities(features: features, head: model.artifact.head)
        let scored = try model.probabilities(for: rows)
        for (ours, theirs) in zip(scored, expected) {
            for (a, b) in zip(ours, theirs) { #expect(abs(a - b) < 1e-5) }
        }
        let predictions = try model.predictions(for: rows)
        #expect(zip(predictions, rows).filter { $0.label == $1.label }.count == rows.count)
        #expect(throws: TaskError.self) { try model.probabilities(for: joint) }  // encodings alone cannot give the sides

        let (again, _) = try await fixture.run(rows: rows, train: ["mode": "head", "l2": 1e-2], metric: Self.pairMetric,
                                               memo: memo, output: "again")
        #expect(again.metrics["embeddings_encoded"] == 0)
        #expect(again.metrics["embeddings_cached"] == 72)
    }

    @Test(arguments: [(InputFormat.rag, true), (.rag, false), (.tools, true)])
    func everyPairFormatScoresWhatTrainingRead(format: InputFormat, withOutput: Bool) async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = Self.pairRows(count: 24, withOutput: withOutput)
        let (_, folder) = try await fixture.run(rows: rows, train: ["mode": "head", "l2": 1e-3], metric: Self.metric(format))
        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.headFeatures == .pair)
        let base = try BertEncoder(modelDirectory: fixture.baseModel, threads: 1)
        let tokenizer = try #require(base.tokenizer)
        let joint = try rows.map { try model.info.rendering.encode($0, tokenizer: tokenizer) }
        let sides = try rows.map { try #require(try model.info.rendering.encodeSides($0, tokenizer: tokenizer)) }
        let features = try base.pairFeatures(joint: joint, first: sides.map(\.first), second: sides.map(\.second), pooling: .mean)
        let expected = LinearHead.probabilities(features: features, head: model.artifact.head)
        for (ours, theirs) in zip(try model.probabilities(for: rows), expected) {
            for (a, b) in zip(ours, theirs) { #expect(abs(a - b) < 1e-5) }
        }
    }

    @Test func samePairRowsGiveAByteIdenticalFolderWhateverTheMemoAndThreads() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = Self.pairRows(count: 24)
        let memo = CountingMemo()
        let (_, a) = try await fixture.run(rows: rows, metric: Self.pairMetric, memo: memo, output: "a")
        let (_, b) = try await fixture.run(rows: rows, metric: Self.pairMetric, memo: memo, output: "b")  // every vector memoised
        let (_, c) = try await fixture.run(rows: rows, train: ["mode": "head", "threads": 1], metric: Self.pairMetric, output: "c")
        let filesA = try TrainFixture.files(in: a)
        #expect(String(decoding: filesA["metric.json"] ?? Data(), as: UTF8.self).contains(#""head_features": "pair""#))
        for other in [b, c] {
            let files = try TrainFixture.files(in: other)
            #expect(files.keys.sorted() == filesA.keys.sorted())
            for name in filesA.keys.sorted() { #expect(files[name] == filesA[name], "\(name) differs") }
        }
    }

    @Test func autoOverAPairRecordsWhatItsHeadReads() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = Self.pairRows(count: 30)
        let (_, folder) = try await fixture.run(
            rows: rows, train: ["mode": "auto", "epochs": 1, "batch_size": 8, "learning_rate": 1e-3], metric: Self.pairMetric)
        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.training["auto_mode"]?["chosen"]?.stringValue == model.info.mode.rawValue)
        #expect(model.info.headFeatures == (model.info.mode == .head ? .pair : .pooled))
        let width = model.artifact.encoder.configuration.hiddenSize * model.info.headFeatures.widthFactor
        #expect(model.artifact.head.weight.shape == [2, width])
        #expect(try model.probabilities(for: rows).count == 30)
    }

    @Test func pairFeaturesOffFullModeAndSingleTextsKeepThePooledHead() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = Self.pairRows(count: 24)
        let (_, off) = try await fixture.run(rows: rows, train: ["mode": "head", "pair_features": false], metric: Self.pairMetric,
                                             output: "off")
        let (_, full) = try await fixture.run(
            rows: rows, train: ["mode": "full", "epochs": 1, "batch_size": 8, "cv_folds": 0], metric: Self.pairMetric, output: "full")
        let (_, message) = try await fixture.run(rows: TrainFixture.tinyRows(count: 20), output: "message")
        for folder in [off, full, message] {
            let model = try MetricModel(folder: folder, threads: 1)
            #expect(model.info.headFeatures == .pooled)
            #expect(model.artifact.head.weight.shape == [2, model.artifact.encoder.configuration.hiddenSize])
            #expect(try model.probabilities(for: rows.count == 24 && folder != message ? rows : TrainFixture.tinyRows(count: 20))
                .count > 0)
        }
    }

    @Test func clsPoolingWithPairFeaturesKeepsTheHeadOutOfTheEncoderFile() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = Self.pairRows(count: 24)
        let (_, folder) = try await fixture.run(rows: rows, train: ["mode": "head", "pooling": "cls"], metric: Self.pairMetric)
        let config = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent("config.json")))
        #expect(config["architectures"] == ["BertModel"])  // a 5 × hidden head is no BertForSequenceClassification
        let weights = try SafeTensorsFile(path: folder.appendingPathComponent("model.safetensors").path)
        #expect(!weights.names.contains("classifier.weight"))
        #expect(weights.names.contains("pooler.dense.weight"))
        let model = try MetricModel(folder: folder, threads: 1)
        #expect(model.info.headFeatures == .pair)
        #expect(try model.probabilities(for: rows).count == 24)
    }

    @Test func metricJSONWithoutHeadFeaturesReadsAsPooledAndABadValueIsNamed() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let (_, folder) = try await fixture.run(rows: TrainFixture.tinyRows(count: 20))
        let url = folder.appendingPathComponent(MetricModelInfo.fileName)
        var object = try #require(try JSONValue.parse(Data(contentsOf: url)).objectValue)
        object["head_features"] = nil  // a folder written before head_features existed
        try JSONValue.object(object).canonicalData.write(to: url)
        #expect(try MetricModelInfo(folder: folder).headFeatures == .pooled)
        object["head_features"] = "sides"
        try JSONValue.object(object).canonicalData.write(to: url)
        let error = #expect(throws: TaskError.self) { try MetricModelInfo(folder: folder) }
        #expect(error?.message.contains("'head_features' is missing or malformed") == true)
        // Pair features over a message metric: refused when the folder is read, naming the file.
        object["head_features"] = "pair"
        try JSONValue.object(object).canonicalData.write(to: url)
        let notAPair = #expect(throws: TaskError.self) { try MetricModelInfo(folder: folder) }
        #expect(notAPair?.message.hasPrefix(url.path) == true)
        #expect(notAPair?.message.contains("input format message is not a pair") == true)
        // A pooled head whose metric.json claims pair features is refused by its width, naming the file.
        object["head_features"] = "pair"
        object["rendering"] = ["input_format": "input_output", "max_tokens": 64, "template": "{input} [SEP] {output}"]
        try JSONValue.object(object).canonicalData.write(to: url)
        let wrongWidth = #expect(throws: TaskError.self) { try MetricModel(folder: folder, threads: 1) }
        #expect(wrongWidth?.message.contains("head.safetensors") == true)
        #expect(wrongWidth?.message.contains("metric.json head_features") == true)
    }

    /// HaluEval QA (examples/data/halueval-qa): the supported answers are short spans, the hallucinated
    /// ones sentences. Read as one joint pair the frozen head is near chance; with each side alone it finds it.
    @Test(.enabled(if: RealBaseModel.isInstalled, "minilm-l6 is not installed: scripts/install-model minilm-l6"))
    func realModelPairHeadReadsTheAnswerOnHaluEval() async throws {
        let folder = RealBaseModel.repositoryRoot.appendingPathComponent("examples/data/halueval-qa")
        func rows(_ file: String, _ count: Int) throws -> [CanonicalRow] {
            var reader = try CSVReader(url: folder.appendingPathComponent(file))
            let header = try #require(try reader.next()).fields
            var rows: [CanonicalRow] = []
            while rows.count < count, let record = try reader.next() {
                let field = Dictionary(uniqueKeysWithValues: zip(header, record.fields))
                rows.append(CanonicalRow(row: record.row, input: field["question"], output: field["answer"],
                                         documents: [field["knowledge"] ?? ""], label: field["supported"]))
            }
            return rows
        }
        let training = try rows("train.csv", 160), test = try rows("test.csv", 120)
        let stage = try StageFixture()
        defer { stage.remove() }
        try DatasetRows.write(training, to: stage.url("rows.jsonl"))
        let memo = CountingMemo()
        func macroF1(pairFeatures: Bool) async throws -> Double {
            let output = pairFeatures ? "pair" : "pooled"
            var context = try stage.context(
                stage: "demo/run/train",
                params: [
                    "metric": ["name": "supported", "output": "boolean", "labels": ["false", "true"], "input": "rag"],
                    "seed": 7, "train": ["mode": "head", "pair_features": .bool(pairFeatures)],
                ],
                inputs: ["rows": stage.url("rows.jsonl"), "base_model": try #require(RealBaseModel.directory)],
                outputs: ["model": output], environment: [:])
            context.memo = memo
            _ = try await Train().run(context)
            let model = try MetricModel(folder: stage.url(output), threads: 2)
            let predicted = try model.predictions(for: test).map(\.label)
            let f1 = ["false", "true"].map { label in
                let pairs = zip(predicted, test.map(\.label))
                let hits = pairs.filter { $0 == label && $1 == label }.count
                let guesses = predicted.filter { $0 == label }.count, truths = test.filter { $0.label == label }.count
                return Double(2 * hits) / Double(max(1, guesses + truths))
            }
            return f1.reduce(0, +) / 2
        }
        let pooled = try await macroF1(pairFeatures: false), pair = try await macroF1(pairFeatures: true)
        #expect(pair > 0.75, "pair features: macro-F1 \(pair)")
        #expect(pair > pooled + 0.1, "pair features \(pair), pooled \(pooled)")
    }
}
