import Basics
import Foundation

/// What one stage action produced: the index entry stored under its action key.
///
/// The cache uses it to answer "can I skip this stage?": when ``ContentCache/record(for:)`` returns a
/// record, every output object is present and the stage can reuse ``outputs`` instead of running.
///
/// Stored as sorted-key JSON in `index/ab/<key hex>.json`:
/// ```json
/// {"key":"sha256:…","outputs":{"rows":{"digest":"sha256:…","kind":"file","size":812}},
///  "stage":"support/toxicity-v1/load","task":"load-dataset","taskVersion":1}
/// ```
/// A stage that read or wrote memo entries (provider answers, embeddings) also has
/// `"memo":"sha256:…"`: the digest of its ``MemoManifest``, which `lunette push` and `pull` move with
/// the record. The field is left out when there is none, so older records read the same.
public struct ActionRecord: Codable, Hashable, Sendable {
    /// The action key: SHA-256 of the stage's canonical description.
    public var key: ContentHash
    /// The task type id that ran, e.g. `load-dataset`.
    public var task: String
    /// The task type's version when it ran.
    public var taskVersion: Int
    /// Informational: the first stage id (`project/run/stage`) that produced these outputs.
    public var stage: String
    /// The outputs by name.
    public var outputs: [String: ArtifactRef]
    /// The ``MemoManifest`` (stored in the memo under its own SHA-256) of the memo entries the stage
    /// read or wrote; `nil` when it used none.
    public var memo: ContentHash?

    public init(
        key: ContentHash, task: String, taskVersion: Int, stage: String, outputs: [String: ArtifactRef], memo: ContentHash? = nil
    ) {
        self.memo = memo
        self.key = key
        self.task = task
        self.taskVersion = taskVersion
        self.stage = stage
        self.outputs = outputs
    }
}

extension ActionRecord {
    /// Reads an index entry with Basics' JSON parser: what ``ContentCache/record(for:)`` does once per
    /// planned stage, where `JSONDecoder` cost a no-op run of 1,400 stages a tenth of its time. Nil for
    /// anything that is not a whole record (the entry is then a miss, as a decoding error was).
    init?(json data: Data) {
        guard case .object(let object)? = try? JSONValue.parse(data),
            let key = object["key"]?.stringValue.flatMap(ContentHash.init(parsing:)),
            let task = object["task"]?.stringValue, let taskVersion = object["taskVersion"]?.intValue,
            let stage = object["stage"]?.stringValue, case .object(let entries)? = object["outputs"]
        else { return nil }
        var outputs: [String: ArtifactRef] = [:]
        for (name, value) in entries {
            guard let digest = value["digest"]?.stringValue.flatMap(ContentHash.init(parsing:)),
                let size = value["size"]?.intValue, let kind = value["kind"]?.stringValue.flatMap(ArtifactRef.Kind.init)
            else { return nil }
            outputs[name] = ArtifactRef(digest: digest, size: Int64(size), kind: kind)
        }
        var memo: ContentHash?
        if let text = object["memo"]?.stringValue {
            guard let parsed = ContentHash(parsing: text) else { return nil }
            memo = parsed
        }
        self.init(key: key, task: task, taskVersion: taskVersion, stage: stage, outputs: outputs, memo: memo)
    }
}
