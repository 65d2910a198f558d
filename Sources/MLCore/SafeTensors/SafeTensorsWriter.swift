import Foundation

/// Writes Float32 tensors as a safetensors file, byte-for-byte deterministic.
///
/// The same tensors and metadata always give the same bytes: tensor names are sorted (byte order of
/// their UTF-8), the header is compact JSON with keys in a fixed order (`__metadata__` first, then
/// each tensor's `dtype`, `shape`, `data_offsets`), and it is padded with spaces to a multiple of 8
/// bytes so that the data section is aligned, as the reference writer does. Tensors are stored F32,
/// little-endian, contiguous in name order.
///
/// ```swift
/// try SafeTensorsWriter.write(["classifier.bias": Tensor(shape: [2], scalars: [0, 0])], to: url)
/// ```
public enum SafeTensorsWriter {
    /// Encodes tensors (and optional string metadata) as the bytes of a safetensors file.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> Data {
        let names = tensors.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            let items = keys.map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            guard let tensor = tensors[name] else { continue }
            let size = tensor.count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }

        var data = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        for name in names {
            guard let tensor = tensors[name] else { continue }
            tensor.scalars.withUnsafeBufferPointer { buffer in
                #if _endian(big)
                for value in buffer { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                #else
                data.append(UnsafeBufferPointer(start: buffer.baseAddress, count: buffer.count))
                #endif
            }
        }
        return data
    }

    /// Writes tensors to `url` atomically (a temporary file beside it, then a rename).
    ///
    /// - Throws: ``MLCoreError`` `.io` naming the path when the file cannot be written.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        let data = encode(tensors, metadata: metadata)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw MLCoreError(.io, "\(url.path): cannot write safetensors (\(error.localizedDescription))")
        }
    }

    /// A JSON string literal for `text`, escaping quotes, backslashes and control characters.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
