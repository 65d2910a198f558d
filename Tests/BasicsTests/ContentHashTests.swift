import Basics
import Foundation
import Testing
import _TestSupport

@Suite struct ContentHashTests {
    @Test func knownVectors() {
        #expect(
            ContentHash.of("").description == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            ContentHash.of("abc").description
                == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ContentHash.of(Data("abc".utf8)) == ContentHash.of("abc"))
        #expect(ContentHash.of("abc").short == "ba7816bf8f01")
    }

    @Test func parsesItsOwnFormAndUppercaseHex() throws {
        let hash = ContentHash.of("abc")
        #expect(ContentHash(parsing: hash.description) == hash)
        let upper = try #require(ContentHash(parsing: "sha256:" + hash.hex.uppercased()))
        #expect(upper.hex == hash.hex)
        #expect(ContentHash(hex: hash.hex) == hash)
    }

    @Test(arguments: [
        "", "sha256:", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "sha1:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adad",
        "sha256:ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "sha256: a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ])
    func rejectsMalformedText(_ text: String) {
        #expect(ContentHash(parsing: text) == nil)
    }

    @Test func codableUsesThePrefixedForm() throws {
        let hash = ContentHash.of("abc")
        let data = try JSONEncoder().encode([hash])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(hash.description)\"]")
        #expect(try JSONDecoder().decode([ContentHash].self, from: data) == [hash])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ContentHash].self, from: Data("[\"md5:abc\"]".utf8))
        }
    }

    @Test func orderIsByHex() {
        let a = ContentHash.of("abc")  // ba78…
        let b = ContentHash.of("")  // e3b0…
        #expect(a < b)
        #expect([b, a].sorted() == [a, b])
    }

    @Test func fileHashingEqualsInMemoryHashingForMultiMiBContent() throws {
        let temp = try TemporaryDirectory(prefix: "basics")
        defer { temp.remove() }
        // 3.5 MiB + 7 bytes: crosses the 1 MiB read size several times and ends mid-buffer.
        var generator = SeededGenerator(seed: 7)
        var bytes = [UInt8](repeating: 0, count: 3 * (1 << 20) + (1 << 19) + 7)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
        let data = Data(bytes)
        let url = try temp.write(data, to: "big.bin")

        let (hash, size) = try ContentHash.ofFile(at: url.path)
        #expect(size == Int64(data.count))
        #expect(hash == ContentHash.of(data))

        var hasher = ContentHasher()
        hasher.update(data.prefix(1000))
        hasher.update(data.dropFirst(1000))
        #expect(hasher.finalize() == hash)
    }

    @Test func hashingAMissingFileNamesThePath() throws {
        let temp = try TemporaryDirectory(prefix: "basics")
        defer { temp.remove() }
        let path = temp("absent.csv").path
        let error = try #require(throws: FileSystemError.self) { try ContentHash.ofFile(at: path) }
        #expect(error.code == .cannotOpen)
        #expect(error.description == "cannot open '\(path)': No such file or directory")
    }
}
