import Basics
import Foundation
import Testing

@testable import ContentCache

@Suite("Publishing and materializing")
struct PublishTests {
    @Test("a published file round-trips through the index and materializes byte for byte")
    func publishRecordRoundTrip() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        let source = try dir.write("id,label\n1,toxic\n", to: "out/rows.csv")
        let ref = try cache.publish(fileAt: source)

        #expect(ref == ArtifactRef(digest: .of("id,label\n1,toxic\n"), size: 17, kind: .file))
        #expect(try contents(source) == "id,label\n1,toxic\n")
        #expect(try permissions(source) == 0o644)
        #expect(try permissions(cache.objectURL(ref.digest)) == 0o444)
        #expect(cache.objectURL(ref.digest).path.hasSuffix("objects/\(ref.digest.hex.prefix(2))/\(ref.digest.hex)"))
        #expect(cache.hasObject(ref))

        let report = try cache.publish(data: Data("{\"f1\":0.9}".utf8))
        let key = ContentHash.of("load-dataset v1 params")
        let record = ActionRecord(
            key: key, task: "load-dataset", taskVersion: 1, stage: "support/tox/load",
            outputs: ["rows": ref, "report": report])
        #expect(cache.record(for: key) == nil)
        try cache.store(record)
        #expect(cache.record(for: key) == record)
        let indexText = try contents(dir("cache/index/\(key.hex.prefix(2))/\(key.hex).json"))
        #expect(indexText.hasPrefix("{\"key\":\"sha256:\(key.hex)\",\"outputs\":{\"report\":"))

        let destination = dir("work/rows.csv")
        try cache.materialize(ref, at: destination)
        #expect(try contents(destination) == "id,label\n1,toxic\n")
        #expect(try permissions(destination) == 0o644)
        #expect(try cache.verify(ref))

        try cache.removeRecord(for: key)
        #expect(cache.record(for: key) == nil)
        try cache.removeRecord(for: key)  // removing twice is fine
        #expect(dir.files(under: "cache/tmp").isEmpty)
    }

    @Test("publishing the same content twice gives one object and the same reference")
    func publishSameContentTwice() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        let first = try cache.publish(fileAt: try dir.write("same bytes", to: "a.txt"))
        let second = try cache.publish(fileAt: try dir.write("same bytes", to: "b.txt"))
        let third = try cache.publish(data: Data("same bytes".utf8))
        #expect(first == second)
        #expect(first == third)
        #expect(dir.files(under: "cache/objects") == ["\(first.digest.hex.prefix(2))/\(first.digest.hex)"])
        #expect(dir.files(under: "cache/tmp").isEmpty)
    }

    @Test("directory trees keep nested files and executable bits, and name the tree by its content")
    func directoryTree() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        try dir.write("weights", to: "model/model.safetensors")
        try dir.write("{\"labels\":[\"no\",\"yes\"]}", to: "model/config/metric.json")
        try dir.write("#!/bin/sh\necho hi\n", to: "model/bin/run.sh", executable: true)
        try dir.write("b", to: "model/a-b.txt")
        try FileManager.default.createSymbolicLink(atPath: dir("model/alias.json").path, withDestinationPath: "config/metric.json")
        let ref = try cache.publish(directoryAt: dir("model"))
        #expect(ref.kind == .directory)

        let tree = try TreeManifest.parse(try Data(contentsOf: cache.objectURL(ref.digest)), objectPath: "tree")
        #expect(tree.entries.map(\.path) == ["a-b.txt", "alias.json", "bin/run.sh", "config/metric.json", "model.safetensors"])
        #expect(tree.entries.map(\.executable) == [false, false, true, false, false])
        #expect(tree.entries[1].digest == tree.entries[3].digest)
        let treeText = try contents(cache.objectURL(ref.digest))
        #expect(treeText.hasPrefix("{\"entries\":[{\"digest\":\"sha256:\(ContentHash.of("b").hex)\",\"executable\":false,\"path\":\"a-b.txt\",\"size\":1}"))
        #expect(try cache.publish(directoryAt: dir("model")) == ref)
        #expect(try cache.verify(ref))

        let destination = dir("restored/model")
        try cache.materialize(ref, at: destination)
        #expect(dir.files(under: "restored/model") == tree.entries.map(\.path))
        #expect(try contents(dir("restored/model/bin/run.sh")) == "#!/bin/sh\necho hi\n")
        #expect(try permissions(dir("restored/model/bin/run.sh")) == 0o755)
        #expect(try permissions(dir("restored/model/model.safetensors")) == 0o644)

        try dir.write("weights v2", to: "model/model.safetensors")
        let changed = try cache.publish(directoryAt: dir("model"))
        #expect(changed.digest != ref.digest)

        // Materializing over an existing folder replaces it and leaves no staging folders behind.
        try dir.write("stale", to: "restored/model/stale.txt")
        try cache.materialize(changed, at: destination)
        #expect(!FileManager.default.fileExists(atPath: dir("restored/model/stale.txt").path))
        #expect(try contents(dir("restored/model/model.safetensors")) == "weights v2")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir("restored").path) == ["model"])
    }

    @Test("a symlink leading outside the folder is rejected with the link's name")
    func symlinkOutsideIsRejected() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        try dir.write("secret", to: "outside.txt")
        try dir.write("ok", to: "out/ok.txt")
        try FileManager.default.createSymbolicLink(atPath: dir("out/leak").path, withDestinationPath: "../outside.txt")
        let error = #expect(throws: CacheError.self) { try cache.publish(directoryAt: dir("out")) }
        #expect(error?.code == .unsafePath)
        #expect(error?.message.contains("symlink 'leak' points outside the folder") == true)
        #expect(error?.path.hasSuffix("out/leak") == true)
    }

    @Test("a file materializes over an existing file atomically")
    func materializeOverExistingFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cache = try ContentCache(root: dir("cache"))
        let ref = try cache.publish(data: Data("new".utf8))
        let destination = try dir.write("old", to: "work/out.txt")
        try cache.materialize(ref, at: destination)
        #expect(try contents(destination) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir("work").path) == ["out.txt"])
    }

    @Test("many tasks and two handles publishing the same content all succeed with one object")
    func concurrentPublish() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bytes = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let source = dir("big.bin")
        try bytes.write(to: source)
        let caches = [try ContentCache(root: dir("cache")), try ContentCache(root: dir("cache"))]
        let refs = try await withThrowingTaskGroup(of: ArtifactRef.self) { group in
            for index in 0..<16 {
                group.addTask {
                    let cache = caches[index % 2]
                    return index % 3 == 0 ? try cache.publish(data: bytes) : try cache.publish(fileAt: source)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(refs.count == 16)
        #expect(Set(refs) == [ArtifactRef(digest: .of(bytes), size: Int64(bytes.count), kind: .file)])
        #expect(dir.files(under: "cache/objects").count == 1)
        #expect(dir.files(under: "cache/tmp").isEmpty)
        #expect(try caches[0].verify(refs[0]))
    }
}
