import Basics
import Foundation
import Testing

@testable import ContentCache

@Suite("Garbage collection")
struct GarbageCollectionTests {
    @Test("gc keeps what kept records reach and removes the rest; a dry run removes nothing")
    func keepsReachable() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        let shared = try cache.publish(data: Data("shared".utf8))
        let onlyOld = try cache.publish(data: Data("old only".utf8))
        let orphan = try cache.publish(data: Data("orphan".utf8))
        try dir.write("entry", to: "model/w.bin")
        let tree = try cache.publish(directoryAt: dir("model"))
        let keep = ContentHash.of("keep"), drop = ContentHash.of("drop")
        try cache.store(ActionRecord(key: keep, task: "t", taskVersion: 1, stage: "p/r/a", outputs: ["s": shared, "m": tree]))
        try cache.store(ActionRecord(key: drop, task: "t", taskVersion: 1, stage: "p/r/b", outputs: ["s": shared, "o": onlyOld]))
        let before = dir.files(under: "cache")

        let preview = try cache.collectGarbage(keepingRecords: [keep], dryRun: true)
        #expect(preview.isDryRun)
        #expect(dir.files(under: "cache") == before)
        let expectedRemoved = [
            "index/\(drop.hex.prefix(2))/\(drop.hex).json", "objects/\(onlyOld.digest.hex.prefix(2))/\(onlyOld.digest.hex)",
            "objects/\(orphan.digest.hex.prefix(2))/\(orphan.digest.hex)",
        ].sorted()
        #expect(preview.removed.map(\.path) == expectedRemoved)
        #expect(preview.removedBytes == preview.removed.map(\.bytes).reduce(0, +))
        #expect(preview.removed.first { $0.kind == .record }?.reason == "record not in the keep set")

        let report = try cache.collectGarbage(keepingRecords: [keep], dryRun: false)
        #expect(report.removed == preview.removed)
        #expect(report.kept.count == 4)  // the kept record, the shared object, the tree object and its entry
        #expect(Set(report.kept.map(\.path)) == Set(before).subtracting(expectedRemoved))
        #expect(Set(dir.files(under: "cache")) == Set(before).subtracting(expectedRemoved))
        #expect(cache.record(for: keep) != nil)
        #expect(try cache.verify(tree))
        #expect(cache.record(for: drop) == nil)
    }

    @Test("a stray temporary file is ignored, kept while recent and removed once stale")
    func strayTemporaryFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        let stray = try dir.write("half-written object", to: "cache/tmp/12345-deadbeef")
        let ref = try cache.publish(data: Data("real".utf8))
        let key = ContentHash.of("k")
        try cache.store(ActionRecord(key: key, task: "t", taskVersion: 1, stage: "p/r/s", outputs: ["o": ref]))
        #expect(cache.record(for: key) != nil)
        #expect(try cache.verifyAll().isClean)

        let recent = try cache.collectGarbage(keepingRecords: [key], dryRun: false)
        #expect(recent.kept.contains { $0.kind == .temporary && $0.path == "tmp/12345-deadbeef" })
        #expect(FileManager.default.fileExists(atPath: stray.path))

        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: stray.path)
        let stale = try cache.collectGarbage(keepingRecords: [key], dryRun: false)
        #expect(stale.removed == [.init(kind: .temporary, path: "tmp/12345-deadbeef", bytes: 19, reason: "stale temporary file")])
        #expect(!FileManager.default.fileExists(atPath: stray.path))
        #expect(cache.record(for: key) != nil)
    }
}
