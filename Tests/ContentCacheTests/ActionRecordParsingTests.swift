import Basics
@testable import ContentCache
import Foundation
import Testing

/// ``ActionRecord/init(json:)`` (the index's fast reader) reads exactly what `store` writes.
@Suite("Action record parsing")
struct ActionRecordParsingTests {
    static let file = ArtifactRef(digest: ContentHash.of("a"), size: 12, kind: .file)
    static let tree = ArtifactRef(digest: ContentHash.of("b"), size: 3_000_000_000, kind: .directory)

    @Test("a stored record, with and without a memo manifest, reads back equal")
    func roundTrip() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for memo in [nil, ContentHash.of("memo")] {
            let record = ActionRecord(
                key: ContentHash.of("key"), task: "train", taskVersion: 4, stage: "p/r/train",
                outputs: ["model": Self.tree, "rows": Self.file], memo: memo)
            #expect(ActionRecord(json: try encoder.encode(record)) == record)
            #expect(try JSONDecoder().decode(ActionRecord.self, from: try encoder.encode(record)) == record)
        }
    }

    @Test("anything short of a whole record is a miss, not a crash")
    func malformed() {
        let key = ContentHash.of("key").description
        for text in [
            "", "[]", "{}", #"{"key":"\#(key)","task":"t","taskVersion":1,"stage":"s"}"#,
            #"{"key":"md5:1","task":"t","taskVersion":1,"stage":"s","outputs":{}}"#,
            #"{"key":"\#(key)","task":"t","taskVersion":"1","stage":"s","outputs":{}}"#,
            #"{"key":"\#(key)","task":"t","taskVersion":1,"stage":"s","outputs":{"o":{"digest":"\#(key)","size":1,"kind":"link"}}}"#,
            #"{"key":"\#(key)","task":"t","taskVersion":1,"stage":"s","outputs":{},"memo":"nope"}"#,
        ] {
            #expect(ActionRecord(json: Data(text.utf8)) == nil, "\(text)")
        }
        let minimal = #"{"key":"\#(key)","task":"t","taskVersion":1,"stage":"s","outputs":{}}"#
        #expect(ActionRecord(json: Data(minimal.utf8))?.outputs == [:])
    }
}
