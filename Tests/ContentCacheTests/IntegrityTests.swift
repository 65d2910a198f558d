import Basics
import Foundation
import Testing

@testable import ContentCache

@Suite("Corrupt and missing objects")
struct IntegrityTests {
    @Test("a damaged object fails verify, is quarantined by materialize, and stops satisfying its record")
    func corruptObject() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        let ref = try cache.publish(data: Data("precious rows".utf8))
        let key = ContentHash.of("key")
        let record = ActionRecord(key: key, task: "split", taskVersion: 2, stage: "p/r/split", outputs: ["seeds": ref])
        try cache.store(record)
        try damage(cache.objectURL(ref.digest))

        #expect(try cache.verify(ref) == false)
        #expect(cache.record(for: key) == record)  // cheap check: same size, still there
        let destination = try dir.write("previous", to: "work/seeds.jsonl")
        let error = #expect(throws: CacheError.self) { try cache.materialize(ref, at: destination) }
        #expect(error?.code == .corrupt)
        #expect(error?.path == cache.objectURL(ref.digest).path)
        #expect(try contents(destination) == "previous")  // wrong bytes are never placed
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir("work").path) == ["seeds.jsonl"])
        #expect(!FileManager.default.fileExists(atPath: cache.objectURL(ref.digest).path))
        #expect(dir.files(under: "cache/quarantine") == ["\(ref.digest.hex).0"])
        #expect(cache.record(for: key) == nil)

        // Republishing the good bytes heals it; a second quarantine gets the next counter.
        #expect(try cache.publish(data: Data("precious rows".utf8)) == ref)
        #expect(cache.record(for: key) == record)
        try cache.quarantine(ref.digest)
        #expect(dir.files(under: "cache/quarantine") == ["\(ref.digest.hex).0", "\(ref.digest.hex).1"])
        #expect(throws: CacheError.self) { try cache.quarantine(ref.digest) }
    }

    @Test("verifyAll quarantines corrupt objects and drops the records that need them")
    func verifyAllReportsCorruption() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        let good = try cache.publish(data: Data("good".utf8))
        let bad = try cache.publish(data: Data("bad!".utf8))
        try dir.write("tree file", to: "tree/x.txt")
        let tree = try cache.publish(directoryAt: dir("tree"))
        let goodKey = ContentHash.of("good"), badKey = ContentHash.of("bad"), treeKey = ContentHash.of("tree")
        try cache.store(ActionRecord(key: goodKey, task: "t", taskVersion: 1, stage: "p/r/a", outputs: ["o": good]))
        try cache.store(ActionRecord(key: badKey, task: "t", taskVersion: 1, stage: "p/r/b", outputs: ["o": bad, "g": good]))
        try cache.store(ActionRecord(key: treeKey, task: "t", taskVersion: 1, stage: "p/r/c", outputs: ["m": tree]))
        try damage(cache.objectURL(bad.digest))
        try damage(cache.objectURL(.of("tree file")))
        #expect(try cache.verify(tree) == false)

        let report = try cache.verifyAll()
        #expect(report.objectsChecked == 4)  // good, bad, the tree entry and the tree object
        #expect(report.corrupt == [bad.digest, .of("tree file")].sorted())
        #expect(report.droppedRecords == [badKey, treeKey].sorted())
        #expect(report.isClean == false)
        #expect(cache.record(for: goodKey) != nil)
        #expect(cache.record(for: badKey) == nil)
        #expect(!FileManager.default.fileExists(atPath: dir("cache/index/\(badKey.hex.prefix(2))/\(badKey.hex).json").path))
        #expect(try cache.verifyAll().isClean)
    }

    @Test("a missing object makes the record unavailable")
    func missingObject() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        let ref = try cache.publish(data: Data("gone soon".utf8))
        let key = ContentHash.of("k")
        try cache.store(ActionRecord(key: key, task: "t", taskVersion: 1, stage: "p/r/s", outputs: ["o": ref]))
        try FileManager.default.removeItem(at: cache.objectURL(ref.digest))
        #expect(cache.hasObject(ref) == false)
        #expect(cache.record(for: key) == nil)
        #expect(try cache.verify(ref) == false)
        let error = #expect(throws: CacheError.self) { try cache.materialize(ref, at: dir("out.txt")) }
        #expect(error?.code == .missing)
        // A wrong size is as good as missing.
        let other = try cache.publish(data: Data("abc".utf8))
        #expect(cache.hasObject(ArtifactRef(digest: other.digest, size: 4, kind: .file)) == false)
    }

    @Test("an unreadable index entry is treated as no record")
    func unreadableIndexEntry() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        let key = ContentHash.of("k")
        try dir.write("{not json", to: "cache/index/\(key.hex.prefix(2))/\(key.hex).json")
        #expect(cache.record(for: key) == nil)
    }

    @Test("a damaged tree entry stops materialize before anything is placed")
    func corruptTreeEntry() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        try dir.write("one", to: "src/a.txt")
        try dir.write("two", to: "src/b/c.txt")
        let ref = try cache.publish(directoryAt: dir("src"))
        try damage(cache.objectURL(.of("two")))
        try dir.write("keep me", to: "dest/old.txt")
        #expect(throws: CacheError.self) { try cache.materialize(ref, at: dir("dest")) }
        #expect(dir.files(under: "dest") == ["old.txt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["cache", "dest", "src"])
        #expect(dir.files(under: "cache/quarantine") == ["\(ContentHash.of("two").hex).0"])
    }

    @Test("a tree object with an escaping path is refused")
    func unsafeTreeEntry() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        let payload = try cache.publish(data: Data("x".utf8))
        let evil = TreeManifest(entries: [.init(path: "../escape.txt", digest: payload.digest, size: 1, executable: false)])
        let tree = try cache.publish(data: evil.canonicalData)
        let error = #expect(throws: CacheError.self) {
            try cache.materialize(ArtifactRef(digest: tree.digest, size: tree.size, kind: .directory), at: dir("dest"))
        }
        #expect(error?.code == .unsafePath)
        #expect(!FileManager.default.fileExists(atPath: dir("escape.txt").path))
        #expect(TreeManifest.isSafeRelativePath("a/b.txt"))
        #expect(!TreeManifest.isSafeRelativePath("a//b"))
        #expect(!TreeManifest.isSafeRelativePath("/etc/passwd"))
        #expect(!TreeManifest.isSafeRelativePath("./a"))
    }
}
