import Basics
import Foundation
import Testing

@testable import ContentCache

#if canImport(Glibc)
import Glibc
#endif

/// Folders kept materialised and reused (registered models): the stamp says what they hold, and
/// any change to their bytes is noticed before they are served again.
@Suite("Stamped materialised folders")
struct MaterializedFolderTests {
    /// A cache holding a small model-like folder, and where it is materialised.
    private func setUp(_ dir: TemporaryDirectory) throws -> (ContentCache, ArtifactRef, URL) {
        let cache = try ContentCache(root: dir("cache"))
        try dir.write(#"{"labels":["false","true"]}"#, to: "model/metric.json")
        try dir.write(String(repeating: "0123456789abcdef", count: 256), to: "model/head.safetensors")
        let ref = try cache.publish(directoryAt: dir("model"))
        return (cache, ref, dir("registry/m@1"))
    }

    /// Overwrites 8 bytes in the middle of `url` in place (same size) and sets its mtime back.
    private func editEightBytes(_ url: URL) throws {
        let mtime = try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date
        let fd = open(url.path, O_WRONLY)
        #expect(fd >= 0)
        #expect(pwrite(fd, "XXXXXXXX", 8, 100) == 8)
        close(fd)
        try FileManager.default.setAttributes([.modificationDate: mtime ?? Date()], ofItemAtPath: url.path)
    }

    @Test("a stamped folder is reused while intact; 8 bytes edited in place (mtime set back) make it stale, and re-materialising restores them")
    func editedBytesAreNoticed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (cache, ref, folder) = try setUp(dir)
        #expect(cache.checkMaterialized(ref.digest, at: folder) == .missing)
        try cache.materializeStamped(ref, at: folder)
        #expect(cache.checkMaterialized(ref.digest, at: folder) == nil)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(ContentCache.stampFileName).path))

        let head = folder.appendingPathComponent("head.safetensors")
        let original = try Data(contentsOf: head)
        try editEightBytes(head)
        #expect(cache.checkMaterialized(ref.digest, at: folder) == .changed("head.safetensors was changed"))
        try cache.materializeStamped(ref, at: folder)
        #expect(try Data(contentsOf: head) == original)
        #expect(cache.checkMaterialized(ref.digest, at: folder, deep: true) == nil)
    }

    @Test("a folder stamped for another artifact (a version number reused after a store reset) is not taken for this one")
    func otherArtifact() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (cache, ref, folder) = try setUp(dir)
        try dir.write("another model", to: "model/head.safetensors")
        let other = try cache.publish(directoryAt: dir("model"))
        try cache.materializeStamped(ref, at: folder)
        #expect(cache.checkMaterialized(other.digest, at: folder) == .otherArtifact(ref.digest))
        try cache.materializeStamped(other, at: folder)
        #expect(try contents(folder.appendingPathComponent("head.safetensors")) == "another model")
        #expect(cache.checkMaterialized(other.digest, at: folder) == nil)
    }

    @Test("a folder without a stamp (never completed, or an older Lunette's) and one with a file added are not trusted")
    func missingStampAndAddedFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (cache, ref, folder) = try setUp(dir)
        try cache.materialize(ref, at: folder)  // no stamp
        #expect(cache.checkMaterialized(ref.digest, at: folder) == .missing)
        try cache.materializeStamped(ref, at: folder)
        try dir.write("planted", to: "registry/m@1/tokenizer.json")
        #expect(cache.checkMaterialized(ref.digest, at: folder) == .changed("unexpected tokenizer.json"))
    }

    @Test("a file whose metadata changed but whose bytes did not refreshes the stamp; a deep check catches bytes changed behind unchanged metadata")
    func metadataAndDeepCheck() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (cache, ref, folder) = try setUp(dir)
        try cache.materializeStamped(ref, at: folder)
        let stamp = folder.appendingPathComponent(ContentCache.stampFileName)
        let head = folder.appendingPathComponent("head.safetensors")

        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: head.path)
        let before = try Data(contentsOf: stamp)
        #expect(cache.checkMaterialized(ref.digest, at: folder) == nil)
        let refreshed = try Data(contentsOf: stamp)
        #expect(refreshed != before)
        #expect(String(decoding: refreshed, as: UTF8.self).contains(#""mtime_ns":1000000000000000"#))

        // Bit rot: the bytes change, the stamp's stat fields still match (forged here to the new ones).
        try editEightBytes(head)
        var decoded = try JSONDecoder().decode(ContentCache.Stamp.self, from: Data(contentsOf: stamp))
        var status = stat()
        #expect(lstat(head.path, &status) == 0)
        let index = try #require(decoded.files.firstIndex { $0.path == "head.safetensors" })
        decoded.files[index] = ContentCache.Stamp.File(path: "head.safetensors", digest: decoded.files[index].digest, status: status)
        try JSONEncoder().encode(decoded).write(to: stamp)
        #expect(cache.checkMaterialized(ref.digest, at: folder) == nil)  // the cheap check trusts the stat fields
        #expect(cache.checkMaterialized(ref.digest, at: folder, deep: true) == .changed("head.safetensors was changed"))
    }
}
