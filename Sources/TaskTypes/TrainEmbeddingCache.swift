import Basics
import Foundation
import MLCore
import TaskInterface

/// Pooled embeddings of rendered rows, memoised in the stage's ``MemoCache`` so that a second run, or
/// another run on the same rows, never encodes them again.
///
/// One memo entry per row: the key is the SHA-256 of the canonical JSON
/// `["lunette.train.embedding", 1, <model digest>, <pooling>, <max_tokens>, <text>, <pair or null>]`;
/// the value is the vector as little-endian Float32 bytes. The model digest is the SHA-256 of the base
/// model's `model.safetensors`, itself memoised under the file's path, size and modification time
/// (``modelDigest(of:memo:)``), so the 90 MB file is hashed once.
struct TrainEmbeddingCache {
    let memo: (any MemoCache)?
    let modelDigest: ContentHash
    let pooling: Pooling
    let maxTokens: Int

    /// What a call did: how many vectors came from the memo and how many were computed.
    struct Counts: Equatable {
        var hits = 0
        var misses = 0
    }

    /// The memo key of one rendered row.
    func key(for input: TextInput) -> ContentHash {
        let value: JSONValue = [
            "lunette.train.embedding", 1, .string(modelDigest.description), .string(pooling.rawValue), .int(maxTokens),
            .string(input.text), input.pair.map(JSONValue.string) ?? .null,
        ]
        return ContentHash.of(value.canonicalText)
    }

    /// The pooled vector of every input, from the memo where it has one, else from `encoder` (and stored).
    ///
    /// - Parameters:
    ///   - inputs: The rendered rows.
    ///   - encodings: Their encodings (same order).
    ///   - progress: Called with (encoded so far, to encode) after each batch.
    /// - Throws: ``TaskError`` when the encoder fails; `CancellationError` when the task is cancelled.
    func features(
        inputs: [TextInput], encodings: [Encoding], encoder: BertEncoder, batchSize: Int,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> (features: [[Float]], counts: Counts) {
        let hidden = encoder.configuration.hiddenSize
        var result = [[Float]](repeating: [], count: inputs.count)
        var keys: [ContentHash] = []
        var missing: [Int] = []
        for (index, input) in inputs.enumerated() {
            let key = self.key(for: input)
            keys.append(key)
            if let data = memo?.value(for: key), let vector = Self.decode(data, count: hidden) {
                result[index] = vector
            } else {
                missing.append(index)
            }
        }
        // Length-sorted chunks of a few batches each, so progress and cancellation are checked often.
        let order = missing.sorted { (encodings[$0].count, $0) < (encodings[$1].count, $1) }
        let chunk = max(1, batchSize) * 4
        var done = 0
        for start in stride(from: 0, to: order.count, by: chunk) {
            try Task.checkCancellation()
            let slice = Array(order[start..<min(start + chunk, order.count)])
            let vectors: [[Float]]
            do {
                vectors = try encoder.pooledFeatures(slice.map { encodings[$0] }, pooling: pooling, batchSize: batchSize)
            } catch let error as MLCoreError {
                throw TaskError("encoding the training rows failed: \(error.message)")
            }
            for (slot, index) in slice.enumerated() {
                result[index] = vectors[slot]
                try? memo?.store(Self.encode(vectors[slot]), for: keys[index])  // a failed store only costs a recompute
            }
            done += slice.count
            progress(done, order.count)
        }
        return (result, Counts(hits: inputs.count - missing.count, misses: missing.count))
    }

    /// The SHA-256 of `folder/model.safetensors`, memoised by path, size and modification time.
    static func modelDigest(of folder: URL, memo: (any MemoCache)?) throws -> ContentHash {
        let path = folder.appendingPathComponent(ModelArtifact.weightsFileName).path
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw TaskError("\(path): cannot read the base model's weights (\(error.localizedDescription))",
                            remedy: "install the base model: scripts/install-model minilm-l6")
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let statKey = ContentHash.of(
            JSONValue.array(["lunette.model-digest", 1, .string(path), .int(Int(size)), .double(modified)]).canonicalText)
        if let data = memo?.value(for: statKey), let text = String(data: data, encoding: .utf8),
           let digest = ContentHash(parsing: text) ?? ContentHash(hex: text) {
            return digest
        }
        let digest: ContentHash
        do {
            digest = try ContentHash.ofFile(at: path).hash
        } catch {
            throw TaskError("\(path): cannot hash the base model's weights (\(error))")
        }
        try? memo?.store(Data(digest.description.utf8), for: statKey)
        return digest
    }

    static func encode(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    static func decode(_ data: Data, count: Int) -> [Float]? {
        guard data.count == count * 4 else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
