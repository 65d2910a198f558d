import Foundation
@testable import MLCore
import Testing

@Suite("safetensors reader and writer")
struct SafeTensorsTests {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mlcore-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Writes `[u64 header length][header][data]` and returns the path.
    func file(header: String, data: [UInt8], declaredLength: UInt64? = nil, name: String = UUID().uuidString) throws -> String {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(header.utf8.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header.utf8)
        bytes.append(contentsOf: data)
        let url = folder.appendingPathComponent(name + ".safetensors")
        try Data(bytes).write(to: url)
        return url.path
    }

    func openError(_ path: String) -> String? {
        do {
            _ = try SafeTensorsFile(path: path)
            return nil
        } catch let error as MLCoreError {
            return error.code == .invalidSafeTensors ? error.message : "wrong code \(error.code): \(error.message)"
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test("a round trip keeps names, shapes, values and metadata")
    func roundTrip() throws {
        let tensors = ["b.weight": Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 0, .pi, -1e-8]),
                       "a.bias": Tensor(shape: [3], scalars: [0.25, 0.5, 0.75]),
                       "empty": Tensor(zeros: [0, 4])]
        let url = folder.appendingPathComponent("round.safetensors")
        try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: url)
        let file = try SafeTensorsFile(path: url.path)
        #expect(file.names == ["a.bias", "b.weight", "empty"])
        #expect(file.metadata == ["format": "pt"])
        for (name, tensor) in tensors { #expect(try file.tensor(named: name) == tensor) }
    }

    @Test("output bytes are deterministic: sorted names, fixed compact header, 8-byte padding")
    func deterministicBytes() {
        let data = SafeTensorsWriter.encode(["z": Tensor(shape: [1], scalars: [1]), "a": Tensor(shape: [1, 2], scalars: [2, 3])])
        let header = #"{"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"z":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        #expect(data.prefix(8) == Data(withUnsafeBytes(of: UInt64(padded.utf8.count).littleEndian) { Array($0) }))
        #expect(String(decoding: data.dropFirst(8).prefix(padded.utf8.count), as: UTF8.self) == padded)
        #expect(data.count == 8 + padded.utf8.count + 12)
        #expect(data == SafeTensorsWriter.encode(["a": Tensor(shape: [1, 2], scalars: [2, 3]), "z": Tensor(shape: [1], scalars: [1])]))
    }

    @Test("F16, BF16 and F64 read as Float32; I64 is listed but skipped")
    func conversions() throws {
        // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, smallest subnormal 0x0001. BF16: 1.0 = 0x3F80, -0.5 = 0xBF00.
        let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x01, 0x00]
        let bf16: [UInt8] = [0x80, 0x3F, 0x00, 0xBF]
        var f64: [UInt8] = []
        withUnsafeBytes(of: (1.5).bitPattern.littleEndian) { f64.append(contentsOf: $0) }
        let i64 = [UInt8](repeating: 0, count: 16)
        let header = #"{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},"#
            + #""d":{"dtype":"F64","shape":[1],"data_offsets":[12,20]},"i":{"dtype":"I64","shape":[1,2],"data_offsets":[20,36]}}"#
        let file = try SafeTensorsFile(path: try file(header: header, data: f16 + bf16 + f64 + i64))
        #expect(try file.tensor(named: "h").scalars == [1, -2, 65504, 0x1p-24])
        #expect(try file.tensor(named: "b").scalars == [1, -0.5])
        #expect(try file.tensor(named: "d").scalars == [1.5])
        #expect(throws: MLCoreError.self) { try file.tensor(named: "i") }
        #expect(try file.floatTensors().keys.sorted() == ["b", "d", "h"])
        #expect(file.entry(named: "i")?.dtype == .i64)
    }

    @Test("hostile and truncated files fail with a clear error", arguments: [
        ("header length beyond EOF", #"{}"#, [UInt8](), UInt64(1_000_000), "runs past the end"),
        ("offsets out of range", #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 4), nil, "run past"),
        ("truncated data", #"{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, [UInt8](repeating: 0, count: 10), nil, "truncated"),
        ("overlapping ranges", #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
         [UInt8](repeating: 0, count: 12), nil, "overlap"),
        ("wrong dtype size", #"{"t":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 8), nil, "span 8"),
        ("huge shape overflow", #"{"t":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}}"#,
         [UInt8](repeating: 0, count: 8), nil, "overflows"),
        ("negative dimension", #"{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 8), nil, "non-negative"),
        ("begin after end", #"{"t":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#, [UInt8](repeating: 0, count: 8), nil, "begin must be"),
        ("fractional offset", #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0.5,4]}}"#, [UInt8](repeating: 0, count: 8), nil, "two integers"),
        ("unknown dtype", #"{"t":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}"#, [UInt8](repeating: 0, count: 1), nil, "unknown dtype"),
        ("not JSON", #"{"t": nope}"#, [UInt8](), nil, "not valid JSON"),
        ("not an object", #"[1, 2]"#, [UInt8](), nil, "does not start"),
        ("entry not an object", #"{"t": 3}"#, [UInt8](), nil, "not a JSON object"),
        ("metadata not strings", #"{"__metadata__":{"a":1}}"#, [UInt8](), nil, "not a string"),
    ] as [(String, String, [UInt8], UInt64?, String)])
    func hostile(label: String, header: String, data: [UInt8], declared: UInt64?, fragment: String) throws {
        let path = try file(header: header, data: data, declaredLength: declared)
        let message = try #require(openError(path), "\(label) was accepted")
        #expect(message.contains(fragment), "\(label): \(message)")
        #expect(message.contains(path), "\(label): the message should name the file")
    }

    @Test("files shorter than 8 bytes, missing files, and folders are errors")
    func tooShortOrMissing() throws {
        let short = folder.appendingPathComponent("short.safetensors")
        try Data([1, 2, 3]).write(to: short)
        #expect(openError(short.path)?.contains("too short") == true)
        let empty = folder.appendingPathComponent("empty.safetensors")
        try Data().write(to: empty)
        #expect(openError(empty.path)?.contains("too short") == true)
        #expect(throws: MLCoreError(.fileNotFound, "\(folder.path)/absent: no such file")) {
            try SafeTensorsFile(path: folder.appendingPathComponent("absent").path)
        }
        #expect(throws: MLCoreError.self) { try SafeTensorsFile(path: folder.path) }
    }

    @Test("every truncation of a valid file is rejected or reads only what is there")
    func everyTruncation() throws {
        let data = SafeTensorsWriter.encode(["w": Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), "b": Tensor(shape: [2], scalars: [5, 6])])
        for length in 0..<data.count {
            let url = folder.appendingPathComponent("cut-\(length).safetensors")
            try data.prefix(length).write(to: url)
            #expect(openError(url.path) != nil, "a file cut to \(length) of \(data.count) bytes was accepted")
        }
    }
}
