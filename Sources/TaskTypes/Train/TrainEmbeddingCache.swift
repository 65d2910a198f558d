import Basics
import Foundation
import MLCore
import TaskInterface

/// Pooled embeddings of rendered rows, memoised in the stage's ``MemoCache`` so that a second run, or
/// another run on the same rows, never encodes them again.
///
/// A row's vector depends, in its last bits, on the rows it is encoded with (padding changes the
/// shapes the matrix products sum over). So rows are encoded in fixed chunks — every row of the
/// stage, sorted by token count then position, `4 × batch size` at a time — and a chunk is encoded
/// whole whenever any of its rows is not in the memo. One memo entry per row: the key is the SHA-256
/// of the canonical JSON `["lunette.train.embedding", 3, <row key>, <chunk key>, <slot>]`, where the
/// row key hashes `[<model digest>, <pooling>, <max_tokens>, <text>, <pair or null>]`, the chunk key
/// hashes the batch size and the chunk's row keys in order, and the slot is the row's place in the
/// chunk (two equal rows in one chunk may differ in their last bits); the value is the vector as
/// little-endian Float32 bytes. A memo hit is therefore exactly what encoding would give: a run resumed after a kill, or
/// run again on the same rows, writes the same model bytes as one that never stopped. The model digest is the SHA-256 of the base
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

    /// The key of one rendered row (what it is, wherever it is encoded).
    func key(for input: TextInput) -> ContentHash {
        let value: JSONValue = [
            "lunette.train.embedding", 1, .string(modelDigest.description), .string(pooling.rawValue), .int(maxTokens),
            .string(input.text), input.pair.map(JSONValue.string) ?? .null,
        ]
        return ContentHash.of(value.canonicalText)
    }

    /// The memo key of the row at `slot` of the chunk whose rows have `chunkKeys` (in order).
    func memoKey(slot: Int, chunkKeys: [ContentHash], batchSize: Int) -> ContentHash {
        let chunk = ContentHash.of(
            JSONValue.array([.int(batchSize)] + chunkKeys.map { .string($0.description) }).canonicalText)
        let value: JSONValue = [
            "lunette.train.embedding", 3, .string(chunkKeys[slot].description), .string(chunk.description), .int(slot),
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
        let batchSize = max(1, batchSize)
        var result = [[Float]](repeating: [], count: inputs.count)
        let rowKeys = inputs.map(key(for:))
        // Length-sorted chunks of a few batches each over every row (not only the missing ones), so
        // a chunk is the same whatever the memo holds; progress and cancellation are checked often.
        let order = inputs.indices.sorted { (encodings[$0].count, $0) < (encodings[$1].count, $1) }
        let chunkSize = batchSize * 4
        var toEncode: [(slice: [Int], keys: [ContentHash])] = []
        for start in stride(from: 0, to: order.count, by: chunkSize) {
            let slice = Array(order[start..<min(start + chunkSize, order.count)])
            let chunkKeys = slice.map { rowKeys[$0] }
            let keys = slice.indices.map { memoKey(slot: $0, chunkKeys: chunkKeys, batchSize: batchSize) }
            let vectors = keys.map { key in memo?.value(for: key).flatMap { Self.decode($0, count: hidden) } }
            if vectors.allSatisfy({ $0 != nil }) {
                for (slot, index) in slice.enumerated() { result[index] = vectors[slot] ?? [] }
            } else {
                toEncode.append((slice, keys))
            }
        }
        let total = toEncode.reduce(0) { $0 + $1.slice.count }
        var done = 0
        for (slice, keys) in toEncode {
            try Task.checkCancellation()
            let vectors: [[Float]]
            do {
                vectors = try encoder.pooledFeatures(slice.map { encodings[$0] }, pooling: pooling, batchSize: batchSize)
            } catch let error as MLCoreError {
                throw TaskError("encoding the training rows failed: \(error.message)")
            }
            for (slot, index) in slice.enumerated() {
                result[index] = vectors[slot]
                try? memo?.store(Self.encode(vectors[slot]), for: keys[slot])  // a failed store only costs a recompute
            }
            done += slice.count
            progress(done, total)
        }
        return (result, Counts(hits: inputs.count - total, misses: total))
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
        // Local to this machine (a path and an mtime): not named in the stage's record, not pushed.
        if let data = memo?.localValue(for: statKey), let text = String(data: data, encoding: .utf8),
           let digest = ContentHash(parsing: text) ?? ContentHash(hex: text) {
            return digest
        }
        let digest: ContentHash
        do {
            digest = try ContentHash.ofFile(at: path).hash
        } catch {
            throw TaskError("\(path): cannot hash the base model's weights (\(error))")
        }
        try? memo?.storeLocal(Data(digest.description.utf8), for: statKey)
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
