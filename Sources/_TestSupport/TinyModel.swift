import Basics
import Foundation
import MLCore

/// A tiny random-weight BERT (2 layers, hidden 32) written as transformers would, standing in for
/// the pretrained base model where a test needs a real model folder but not real weights.
public enum TinyModel {
    /// Writes `config.json`, `model.safetensors`, `vocab.txt` and `tokenizer_config.json` into `folder`.
    public static func write(to folder: URL, seed: UInt64 = 42) throws {
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tiny = try BertEncoder.makeTiny(seed: seed)
        let c = tiny.configuration
        try SafeTensorsWriter.write(
            tiny.weights.namedTensors, metadata: ["format": "pt"], to: folder.appendingPathComponent("model.safetensors"))
        let config: JSONValue = [
            "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": .int(c.hiddenSize),
            "num_hidden_layers": .int(c.layerCount), "num_attention_heads": .int(c.headCount),
            "intermediate_size": .int(c.intermediateSize), "max_position_embeddings": .int(c.maximumPositions),
            "type_vocab_size": .int(c.typeVocabularySize), "vocab_size": .int(c.vocabularySize), "layer_norm_eps": 1e-12,
            "pad_token_id": 0,
        ]
        try config.canonicalData.write(to: folder.appendingPathComponent("config.json"))
        try Data((BertEncoder.tinyVocabulary.joined(separator: "\n") + "\n").utf8)
            .write(to: folder.appendingPathComponent("vocab.txt"))
        try Data(#"{"do_lower_case": true, "tokenizer_class": "BertTokenizer", "model_max_length": 64}"#.utf8)
            .write(to: folder.appendingPathComponent("tokenizer_config.json"))
    }
}
