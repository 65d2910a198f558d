import Foundation
import Testing
@testable import MLCore

/// A tiny random BERT written as a base model folder (config.json as transformers writes one, vocab, weights with a pooler).
enum TinyBaseModel {
    static func write(to folder: URL, seed: UInt64 = 42) throws -> BertEncoder {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tiny = try BertEncoder.makeTiny(seed: seed)
        let c = tiny.configuration
        var tensors = tiny.weights.namedTensors
        var generator = SplitMix64(seed: seed ^ 7)
        tensors["pooler.dense.weight"] = Tensor(shape: [c.hiddenSize, c.hiddenSize],
                                                scalars: (0..<(c.hiddenSize * c.hiddenSize)).map { _ in generator.nextSymmetric() * 0.2 })
        tensors["pooler.dense.bias"] = Tensor(shape: [c.hiddenSize], scalars: (0..<c.hiddenSize).map { _ in generator.nextSymmetric() * 0.1 })
        try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: folder.appendingPathComponent("model.safetensors"))
        let config: [String: Any] = [
            "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": c.hiddenSize,
            "num_hidden_layers": c.layerCount, "num_attention_heads": c.headCount, "intermediate_size": c.intermediateSize,
            "max_position_embeddings": c.maximumPositions, "type_vocab_size": c.typeVocabularySize, "vocab_size": c.vocabularySize,
            "layer_norm_eps": 1e-12, "pad_token_id": 0, "position_embedding_type": "absolute",
            "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        ]
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]).write(to: folder.appendingPathComponent("config.json"))
        try (BertEncoder.tinyVocabulary.joined(separator: "\n") + "\n").write(
            to: folder.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
        try #"{"do_lower_case": true, "tokenizer_class": "BertTokenizer", "model_max_length": 64}"#.write(
            to: folder.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
        return try BertEncoder(modelDirectory: folder, threads: 1)
    }
}

@Suite struct ModelArtifactTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-artifact-\(UUID().uuidString)")

    func head(labels: Int, hidden: Int = 32) -> ClassifierHead {
        ClassifierHead(weight: Tensor(shape: [labels, hidden], scalars: (0..<(labels * hidden)).map { Float($0 % 7) * 0.01 - 0.03 }),
                       bias: Tensor(shape: [labels], scalars: (0..<labels).map { Float($0) * 0.1 }))
    }

    @Test func meanFolderRoundTripsAndIsDeterministic() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let base = root.appendingPathComponent("base")
        let encoder = try TinyBaseModel.write(to: base)
        let labels = ["neither", "offensive", "hate"]
        for name in ["a", "b"] {
            try ModelArtifact.write(to: root.appendingPathComponent(name), weights: encoder.weights, head: head(labels: 3),
                                    pooling: .mean, labels: labels, baseModelDirectory: base,
                                    extraFiles: ["metric.json": Data("{}\n".utf8)])
        }
        let a = root.appendingPathComponent("a"), b = root.appendingPathComponent("b")
        let files = try FileManager.default.contentsOfDirectory(atPath: a.path).sorted()
        #expect(files == ["config.json", "head.safetensors", "metric.json", "model.safetensors", "tokenizer_config.json", "vocab.txt"])
        for file in files {
            #expect(FileManager.default.contents(atPath: a.appendingPathComponent(file).path)
                        == FileManager.default.contents(atPath: b.appendingPathComponent(file).path), "\(file)")
        }
        let loaded = try ModelArtifact.load(from: a, threads: 1)
        #expect(loaded.labels == labels)
        #expect(loaded.head == head(labels: 3))
        #expect(loaded.encoder.weights == encoder.weights)
        let weights = try SafeTensorsFile(path: a.appendingPathComponent("model.safetensors").path)
        #expect(weights.metadata == ["format": "pt"])
        #expect(!weights.names.contains { $0.hasPrefix("bert.") || $0.hasPrefix("classifier.") })
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: a.appendingPathComponent("config.json"))) as? [String: Any])
        #expect(config["architectures"] as? [String] == ["BertModel"])
        #expect(config["id2label"] as? [String: String] == ["0": "neither", "1": "offensive", "2": "hate"])
        #expect(config["model_type"] as? String == "bert")
    }

    @Test func clsFolderIsASequenceClassificationCheckpoint() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let base = root.appendingPathComponent("base")
        let encoder = try TinyBaseModel.write(to: base)
        let folder = root.appendingPathComponent("cls")
        try ModelArtifact.write(to: folder, weights: encoder.weights, head: head(labels: 2), pooling: .cls,
                                labels: ["false", "true"], baseModelDirectory: base)
        let file = try SafeTensorsFile(path: folder.appendingPathComponent("model.safetensors").path)
        #expect(file.names.contains("bert.pooler.dense.weight"))
        #expect(file.names.contains("bert.embeddings.word_embeddings.weight"))
        #expect(try file.tensor(named: "classifier.weight") == head(labels: 2).weight)
        #expect(!file.names.contains { !$0.hasPrefix("bert.") && !$0.hasPrefix("classifier.") })
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any])
        #expect(config["architectures"] as? [String] == ["BertForSequenceClassification"])
        #expect(config["num_labels"] as? Int == 2)
        #expect(config["label2id"] as? [String: Int] == ["false": 0, "true": 1])
        let loaded = try ModelArtifact.load(from: folder, threads: 1)
        #expect(loaded.encoder.weights == encoder.weights)
    }

    @Test func pooledFeaturesMatchClassify() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let encoder = try TinyBaseModel.write(to: root.appendingPathComponent("base"))
        let tokenizer = try #require(encoder.tokenizer)
        let encodings = tokenizer.encode(["the cat sat", "a dog is playing on the mat !", "hello"], maxTokens: 16)
        for pooling in [Pooling.mean, .cls] {
            let features = try encoder.pooledFeatures(encodings, pooling: pooling, batchSize: 2)
            let viaHead = LinearHead.probabilities(features: features, head: head(labels: 2))
            let viaClassify = try classify(encoder: encoder, head: head(labels: 2), pooling: pooling, encodings: encodings, batchSize: 2)
            for (a, b) in zip(viaHead.joined(), viaClassify.joined()) { #expect(abs(a - b) < 1e-5) }
        }
    }

    @Test func wrongHeadShapeAndMissingFilesAreNamed() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let base = root.appendingPathComponent("base")
        let encoder = try TinyBaseModel.write(to: base)
        #expect(throws: MLCoreError.self) {
            try ModelArtifact.write(to: root.appendingPathComponent("x"), weights: encoder.weights, head: head(labels: 2),
                                    pooling: .mean, labels: ["a", "b", "c"], baseModelDirectory: base)
        }
        do {
            _ = try ModelArtifact.load(from: base, threads: 1)
            Issue.record("a base model folder loaded as an artifact")
        } catch let error as MLCoreError {
            #expect(error.message.hasSuffix("head.safetensors: the model folder has no classifier head"))
        }
    }
}
