import Foundation

extension SafeTensorsFile {
    struct Header {
        var entries: [String: Entry]
        var metadata: [String: String]
    }

    /// Parses and validates a header against a data section of `dataSize` bytes.
    static func parseHeader(_ data: Data, dataSize: Int, path: String) throws -> Header {
        func invalid(_ message: String) -> MLCoreError { MLCoreError(.invalidSafeTensors, "\(path): \(message)") }

        guard data.first == UInt8(ascii: "{") else {
            throw invalid("header does not start with '{' (not a safetensors file?)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw invalid("header is not valid JSON (\(error.localizedDescription))")
        }
        guard let dictionary = object as? [String: Any] else {
            throw invalid("header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for name in dictionary.keys.sorted() {
            let value = dictionary[name]
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw invalid("__metadata__ is not an object") }
                for (key, item) in map {
                    guard let text = item as? String else { throw invalid("__metadata__.\(key) is not a string") }
                    metadata[key] = text
                }
                continue
            }
            entries[name] = try parseEntry(value, name: name, dataSize: dataSize, invalid: invalid)
        }

        // No two tensors may share bytes.
        let ordered = entries.sorted { ($0.value.dataRange.lowerBound, $0.key) < ($1.value.dataRange.lowerBound, $1.key) }
        for (previous, next) in zip(ordered, ordered.dropFirst())
        where next.value.dataRange.lowerBound < previous.value.dataRange.upperBound {
            throw invalid("tensors '\(previous.key)' (bytes \(previous.value.dataRange)) and '\(next.key)' "
                          + "(bytes \(next.value.dataRange)) overlap")
        }
        return Header(entries: entries, metadata: metadata)
    }

    private static func parseEntry(
        _ value: Any?, name: String, dataSize: Int, invalid: (String) -> MLCoreError
    ) throws -> Entry {
        guard let fields = value as? [String: Any] else { throw invalid("tensor '\(name)' is not a JSON object") }
        guard let dtypeName = fields["dtype"] as? String else { throw invalid("tensor '\(name)' has no string 'dtype'") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            let known = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw invalid("tensor '\(name)' has unknown dtype '\(dtypeName)' (known: \(known))")
        }
        guard let shapeValues = fields["shape"] as? [Any] else { throw invalid("tensor '\(name)' has no 'shape' array") }
        var shape: [Int] = []
        var elements = 1
        for item in shapeValues {
            guard let dimension = exactInteger(item), dimension >= 0 else {
                throw invalid("tensor '\(name)' has a shape entry that is not a non-negative integer: \(shapeValues)")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw invalid("tensor '\(name)' shape \(shapeValues) overflows the element count") }
            elements = product
            shape.append(dimension)
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw invalid("tensor '\(name)' shape \(shape) overflows the byte count") }

        guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
              let begin = exactInteger(offsets[0]), let end = exactInteger(offsets[1])
        else {
            throw invalid("tensor '\(name)' needs 'data_offsets' as two integers [begin, end]")
        }
        guard begin >= 0, begin <= end else {
            throw invalid("tensor '\(name)' has data_offsets [\(begin), \(end)]: begin must be ≥ 0 and ≤ end")
        }
        guard end <= dataSize else {
            throw invalid("tensor '\(name)' data_offsets [\(begin), \(end)] run past the \(dataSize)-byte data section (truncated?)")
        }
        guard end - begin == byteCount else {
            throw invalid("tensor '\(name)' is \(dtype.rawValue) \(shape) = \(byteCount) bytes, "
                          + "but data_offsets [\(begin), \(end)] span \(end - begin)")
        }
        return Entry(dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    /// Returns the value as an `Int` when it is an integral JSON number that fits, else `nil`.
    private static func exactInteger(_ value: Any) -> Int? {
        // JSON booleans arrive as a boolean NSNumber subclass, which also casts to Int: reject them by type.
        if value is Bool && String(describing: type(of: value)).contains("Bool") { return nil }
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 0x1p62 else { return nil }
        return value as? Int ?? Int(exactly: double)
    }
}
