import Foundation

/// A trained metric's model folder: an encoder that `transformers` loads, a classifier head, the
/// tokenizer files, and the caller's description files, written byte-for-byte deterministically.
///
/// ```
/// model/
///   config.json               the encoder's config (from the base model), plus id2label/label2id;
///                             with cls pooling also architectures BertForSequenceClassification, num_labels
///   model.safetensors         the encoder, Hugging Face names (mean: BertModel names; cls over pooled features:
///                             bert.-prefixed encoder + pooler + classifier.weight/bias, i.e. BertForSequenceClassification)
///   head.safetensors          classifier.weight [labels, hidden], classifier.bias [labels]
///                             (pair features: [labels, 5 × hidden], see HeadFeatures)
///   vocab.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json   copied from the base model
///   <extra files>             e.g. metric.json and training-curve.json, written by the caller as given
/// ```
///
/// `AutoModel.from_pretrained(folder)` loads the encoder in both layouts (it drops the `bert.` prefix
/// and the classifier); with cls pooling `AutoModelForSequenceClassification.from_pretrained(folder)`
/// gives the whole classifier (not with ``HeadFeatures/pair``, whose head reads more than the pooled
/// vector: the folder then has the mean layout, with the pooler, and the head only in `head.safetensors`). Both safetensors files carry `{"format": "pt"}` metadata, as
/// `transformers` expects. `config.json` is pretty-printed with sorted keys, and nothing in the folder
/// holds a time or a path, so the same weights, head and files give the same bytes.
///
/// Rejected: a single safetensors file with the head inside for mean pooling (`AutoModel` would warn about
/// unused `classifier.*` tensors, and users would have to know which names to drop).
public struct ModelArtifact: Sendable {
    /// The encoder weights file.
    public static let weightsFileName = "model.safetensors"
    /// The head file.
    public static let headFileName = "head.safetensors"
    /// The encoder configuration file.
    public static let configurationFileName = "config.json"
    /// The tokenizer files copied from the base model when it has them (`vocab.txt` is required).
    public static let tokenizerFileNames = ["special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"]

    /// The encoder, with its tokenizer.
    public var encoder: BertEncoder
    /// The classifier head.
    public var head: ClassifierHead
    /// Label names in index order (from `config.json`'s `id2label`).
    public var labels: [String]

    /// Writes a model folder (creating it; files already there with the same names are replaced).
    ///
    /// - Parameters:
    ///   - folder: Where to write.
    ///   - weights: The encoder weights (fine-tuned, or the base weights for head-only training).
    ///   - head: The classifier, `[labels.count, hidden × features.widthFactor]` and `[labels.count]`.
    ///   - pooling: `.cls` also writes the `BertForSequenceClassification` layout (needs pooler weights)
    ///     when `features` is `.pooled`.
    ///   - features: What the head reads (``HeadFeatures``).
    ///   - labels: Label names in index order.
    ///   - baseModelDirectory: The base model folder: its `config.json` and tokenizer files are reused.
    ///   - extraFiles: File name → bytes, written as they are (`metric.json`, `training-curve.json`).
    /// - Throws: ``MLCoreError`` naming the file that could not be read or written, or a shape mismatch.
    public static func write(
        to folder: URL, weights: BertWeights, head: ClassifierHead, pooling: Pooling, features: HeadFeatures = .pooled,
        labels: [String], baseModelDirectory: URL, extraFiles: [String: Data] = [:]
    ) throws {
        let configURL = baseModelDirectory.appendingPathComponent(configurationFileName)
        let configuration = try BertConfiguration(contentsOf: configURL)
        let hidden = configuration.hiddenSize * features.widthFactor
        guard head.weight.shape == [labels.count, hidden], head.bias.shape == [labels.count] else {
            throw MLCoreError(.shapeMismatch,
                              "the head is \(head.weight.shape) + \(head.bias.shape), expected [\(labels.count), \(hidden)] + [\(labels.count)]")
        }
        _ = try BertWeights(namedTensors: weights.namedTensors, configuration: configuration, source: "the weights to save")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw MLCoreError(.io, "\(folder.path): cannot create the model folder (\(error.localizedDescription))")
        }
        let headTensors = ["classifier.weight": head.weight, "classifier.bias": head.bias]
        var encoderTensors = weights.namedTensors
        let classification = pooling == .cls && features == .pooled
        if pooling == .cls {
            guard weights.pooler != nil else {
                throw MLCoreError(.missingTensor, "cls pooling needs the pooler weights (pooler.dense.*), which the base model lacks")
            }
        }
        if classification {
            encoderTensors = Dictionary(uniqueKeysWithValues: encoderTensors.map { ("bert." + $0.key, $0.value) })
            encoderTensors.merge(headTensors) { _, new in new }
        }
        let metadata = ["format": "pt"]
        try SafeTensorsWriter.write(encoderTensors, metadata: metadata, to: folder.appendingPathComponent(weightsFileName))
        try SafeTensorsWriter.write(headTensors, metadata: metadata, to: folder.appendingPathComponent(headFileName))
        try writeFile(try configurationJSON(base: configURL, classification: classification, labels: labels),
                      to: folder.appendingPathComponent(configurationFileName))
        for name in tokenizerFileNames {
            let source = baseModelDirectory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: source.path) else {
                if name == "vocab.txt" { throw MLCoreError(.fileNotFound, "\(source.path): the base model has no vocab.txt") }
                continue
            }
            try writeFile(data, to: folder.appendingPathComponent(name))
        }
        for name in extraFiles.keys.sorted() {
            guard let data = extraFiles[name] else { continue }
            try writeFile(data, to: folder.appendingPathComponent(name))
        }
    }

    /// Loads a model folder written by ``write(to:weights:head:pooling:features:labels:baseModelDirectory:extraFiles:)``.
    ///
    /// - Parameter features: What the head reads (from `metric.json`): its width is checked against it.
    /// - Throws: ``MLCoreError`` naming the missing or malformed file.
    public static func load(from folder: URL, threads: Int = ThreadCount.fromEnvironment(),
                            features: HeadFeatures = .pooled) throws -> ModelArtifact {
        let encoder = try BertEncoder(modelDirectory: folder, threads: threads)
        let headPath = folder.appendingPathComponent(headFileName).path
        guard FileManager.default.fileExists(atPath: headPath) else {
            throw MLCoreError(.fileNotFound, "\(headPath): the model folder has no classifier head")
        }
        let file = try SafeTensorsFile(path: headPath)
        let weight = try file.tensor(named: "classifier.weight"), bias = try file.tensor(named: "classifier.bias")
        let labels = try labelNames(in: folder.appendingPathComponent(configurationFileName))
        let width = encoder.configuration.hiddenSize * features.widthFactor
        guard weight.shape == [labels.count, width], bias.shape == [labels.count] else {
            throw MLCoreError(.shapeMismatch,
                              "\(headPath): classifier is \(weight.shape) + \(bias.shape) but config.json names \(labels.count) labels "
                                + "and the head reads \(features.rawValue) features (metric.json head_features), \(width) wide")
        }
        return ModelArtifact(encoder: encoder, head: ClassifierHead(weight: weight, bias: bias), labels: labels)
    }

    /// The base `config.json` with the label maps added (and the classification architecture when the
    /// encoder file holds the head: cls pooling over pooled features).
    static func configurationJSON(base: URL, classification: Bool, labels: [String]) throws -> Data {
        guard let data = FileManager.default.contents(atPath: base.path),
              var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { throw MLCoreError(.invalidConfiguration, "\(base.path): not a JSON object") }
        var idToLabel: [String: Any] = [:], labelToID: [String: Any] = [:]
        for (index, label) in labels.enumerated() {
            idToLabel[String(index)] = label
            labelToID[label] = index
        }
        object["id2label"] = idToLabel
        object["label2id"] = labelToID
        if classification {
            object["architectures"] = ["BertForSequenceClassification"]
            object["num_labels"] = labels.count
            object["problem_type"] = "single_label_classification"
        } else {
            object["architectures"] = ["BertModel"]
        }
        do {
            var json = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            json.append(UInt8(ascii: "\n"))
            return json
        } catch {
            throw MLCoreError(.invalidConfiguration, "\(base.path): cannot re-encode the configuration (\(error))")
        }
    }

    /// Label names in index order from `config.json`'s `id2label` (keys "0", "1", …).
    static func labelNames(in url: URL) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: url.path),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let map = object["id2label"] as? [String: Any]
        else { throw MLCoreError(.invalidConfiguration, "\(url.path): no id2label map (not a Lunette model folder?)") }
        return try (0..<map.count).map { index in
            guard let label = map[String(index)] as? String else {
                throw MLCoreError(.invalidConfiguration, "\(url.path): id2label has no entry \"\(index)\"")
            }
            return label
        }
    }

    private static func writeFile(_ data: Data, to url: URL) throws {
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw MLCoreError(.io, "\(url.path): cannot write (\(error.localizedDescription))")
        }
    }
}
