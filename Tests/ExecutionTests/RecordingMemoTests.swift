import Basics
import Foundation
import TaskInterface
import Testing

@testable import Execution

/// What a stage's action record names of the memo: the entries it read or wrote, never the values
/// that only hold on this machine (`storeLocal`), so two workspaces' records of one action agree.
@Suite("Recording memo")
struct RecordingMemoTests {
    final class Memory: MemoCache, @unchecked Sendable {
        private let lock = NSLock()
        private var values: [ContentHash: Data] = [:]
        func value(for key: ContentHash) -> Data? { lock.withLock { values[key] } }
        func store(_ data: Data, for key: ContentHash) throws { lock.withLock { values[key] = data } }
    }

    @Test("local values reach the memo but not the manifest; shared ones are named once")
    func localValuesAreNotNamed() throws {
        let base = Memory()
        let memo = RecordingMemo(base)
        try memo.storeLocal(Data("digest".utf8), for: ContentHash.of("stat key of /some/path"))
        #expect(memo.localValue(for: ContentHash.of("stat key of /some/path")) == Data("digest".utf8))
        #expect(memo.storeManifest() == nil)  // nothing shared was used

        try memo.store(Data("vector".utf8), for: ContentHash.of("row"))
        _ = memo.value(for: ContentHash.of("row"))
        let digest = try #require(memo.storeManifest())
        let manifest = try #require(base.value(for: digest))
        let text = String(decoding: manifest, as: UTF8.self)
        #expect(text.contains(ContentHash.of("row").description))
        #expect(!text.contains(ContentHash.of("stat key of /some/path").description))
    }
}
