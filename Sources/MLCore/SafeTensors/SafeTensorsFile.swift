import Foundation

/// A memory-mapped safetensors file: a JSON header describing tensors, then their raw little-endian bytes.
///
/// The layout is `[u64 little-endian header length N][N bytes of UTF-8 JSON][data]`. The header maps
/// each tensor name to `{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}`, offsets
/// relative to the start of the data; an optional `"__metadata__"` maps strings to strings.
///
/// Opening validates everything before any tensor is read: the header length against the file size,
/// the JSON, every dtype, every shape (non-negative, no overflow), every offset range (inside the data,
/// size equal to element count × dtype size) and that no two ranges overlap. A truncated or hostile file
/// therefore fails with a ``MLCoreError`` naming the file and the tensor, never with a crash or a
/// read outside the mapping.
///
/// ```swift
/// let file = try SafeTensorsFile(path: "cache/models/minilm-l6/model.safetensors")
/// let bias = try file.tensor(named: "pooler.dense.bias")   // F32, F16 and BF16 read as Float32
/// ```
public final class SafeTensorsFile: Sendable {
    /// Where one tensor lies in the file.
    public struct Entry: Sendable, Equatable {
        /// The element type as stored.
        public var dtype: SafeTensorsDType
        /// The tensor's shape.
        public var shape: [Int]
        /// The byte range inside the data section (after the header).
        public var dataRange: Range<Int>
    }

    /// The largest header accepted (the reference implementation's limit).
    public static let maximumHeaderLength = 100_000_000

    /// The file's path.
    public let path: String
    /// The tensors in the file, by name.
    public let entries: [String: Entry]
    /// The header's `__metadata__` strings (empty when absent).
    public let metadata: [String: String]
    private let file: MappedFile
    private let dataStart: Int

    /// The tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Maps and validates the safetensors file at `path`.
    ///
    /// - Throws: ``MLCoreError`` `.fileNotFound`, `.io`, or `.invalidSafeTensors` saying what is wrong and where.
    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw MLCoreError(.invalidSafeTensors,
                              "\(path): file is \(bytes.count) bytes, too short for the 8-byte header length (truncated?)")
        }
        let declared = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard declared <= UInt64(bytes.count - 8) else {
            throw MLCoreError(.invalidSafeTensors,
                              "\(path): header length \(declared) runs past the end of the \(bytes.count)-byte file (truncated?)")
        }
        guard declared <= UInt64(Self.maximumHeaderLength) else {
            throw MLCoreError(.invalidSafeTensors,
                              "\(path): header length \(declared) exceeds the \(Self.maximumHeaderLength)-byte limit")
        }
        let headerLength = Int(declared)
        dataStart = 8 + headerLength
        let header = try Self.parseHeader(
            Data(bytes[8..<dataStart]), dataSize: bytes.count - dataStart, path: path)
        entries = header.entries
        metadata = header.metadata
    }

    /// The entry for `name`, or `nil` when the file has no such tensor.
    public func entry(named name: String) -> Entry? { entries[name] }

    /// Reads the tensor `name` as Float32, converting F16, BF16 and F64.
    ///
    /// - Throws: ``MLCoreError`` `.missingTensor` when absent, `.unsupportedDType` for integer or boolean tensors.
    public func tensor(named name: String) throws -> Tensor {
        guard let entry = entries[name] else {
            throw MLCoreError(.missingTensor, "\(path): no tensor named '\(name)'")
        }
        guard entry.dtype.isFloatingPoint else {
            throw MLCoreError(.unsupportedDType,
                              "\(path): tensor '\(name)' is \(entry.dtype.rawValue); only F32, F16, BF16 and F64 read as Float32")
        }
        let count = Tensor.elementCount(of: entry.shape)
        let source = UnsafeRawBufferPointer(
            rebasing: file.bytes[(dataStart + entry.dataRange.lowerBound)..<(dataStart + entry.dataRange.upperBound)])
        var scalars = [Float](repeating: 0, count: count)
        scalars.withUnsafeMutableBufferPointer { out in
            switch entry.dtype {
            case .f32:
                if count > 0, let base = source.baseAddress, let outBase = out.baseAddress {
                    memcpy(outBase, base, count * 4)
                }
                #if _endian(big)
                for i in 0..<count { out[i] = Float(bitPattern: out[i].bitPattern.byteSwapped) }
                #endif
            case .f16:
                for i in 0..<count {
                    out[i] = floatFromHalfBits(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .bf16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    out[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            case .f64:
                for i in 0..<count {
                    let bits = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                    out[i] = Float(Double(bitPattern: bits))
                }
            default:
                break
            }
        }
        return Tensor(shape: entry.shape, scalars: scalars)
    }

    /// Reads every floating-point tensor, skipping integer and boolean ones (such as `position_ids`).
    public func floatTensors() throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for name in names where entries[name]?.dtype.isFloatingPoint == true {
            result[name] = try tensor(named: name)
        }
        return result
    }
}
