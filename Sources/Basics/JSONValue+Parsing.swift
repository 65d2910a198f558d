import Foundation

/// Lunette's one JSON parser: every JSON text it reads (datasets' JSON Lines, trace exports, lock
/// files, registry and scores files, model folders' `metric.json`, providers' answers) goes through
/// ``JSONValue/parse(bytes:)``.
///
/// It follows RFC 8259 strictly (no comments, no trailing commas, no NaN, no leading zeros), keeps `3`
/// an ``JSONValue/int(_:)`` and `3.0` or `3e0` a ``JSONValue/double(_:)`` (so canonical text survives a
/// round trip byte for byte; Foundation's decoders read `3.0` as an integer), and says what is wrong and
/// where ("expected ',' or '}' after an object member at column 31"). Where RFC 8259 leaves a choice,
/// the policy is:
///
/// - **Duplicate member names are refused**: `{"a": 1, "a": 2}` fails with `duplicate member "a"` at the
///   duplicate's value. Keeping the first or the last silently would drop data a user wrote.
/// - **A lone surrogate escape becomes U+FFFD** (`"\ud800"`, `"\udc00x"`, a high surrogate followed by
///   an escape that is not a low one): the string is kept, with the replacement character where the lone
///   half was. Exports from UTF-16 tools (JavaScript's `substring`) cut text between a pair's halves, and
///   the rest of such a row is still good text; a Swift `String` cannot hold the half itself.
/// - **Bytes that are not UTF-8 are refused** (`string is not valid UTF-8`): the file is in another
///   encoding, and replacing would garble every non-ASCII character of it.
/// - Values nest at most 512 deep.
extension JSONValue {
    /// Parses JSON text (see the policy above).
    /// - Throws: ``JSONValue/ParseError`` with the line and column of the first problem.
    public static func parse(_ data: Data) throws -> JSONValue { try parse(bytes: [UInt8](data)) }

    /// Parses JSON text from a string.
    /// - Throws: ``JSONValue/ParseError``.
    public static func parse(_ text: String) throws -> JSONValue { try parse(bytes: Array(text.utf8)) }

    /// Parses UTF-8 JSON text, surrounding whitespace allowed.
    /// - Throws: ``JSONValue/ParseError`` with the line and column of the first problem.
    public static func parse(bytes: [UInt8]) throws(ParseError) -> JSONValue {
        var parser = Parser(bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index < bytes.count { throw parser.failure("unexpected text after the value") }
        return value
    }

    /// Malformed JSON: what is wrong and where.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// What is wrong ("duplicate member \"a\"").
        public var message: String
        /// 0-based byte offset into the text.
        public var offset: Int
        /// 1-based line (lines end at `\n`).
        public var line: Int
        /// 1-based byte column within ``line``.
        public var column: Int

        /// "… at column 15" for a one-line text, "… at line 3, column 15" for a longer one.
        public var description: String {
            line == 1 ? "\(message) at column \(column)" : "\(message) at line \(line), column \(column)"
        }

        init(message: String, offset: Int, in bytes: [UInt8]) {
            self.message = message
            self.offset = offset
            let before = bytes[..<min(offset, bytes.count)]
            let lastNewline = before.lastIndex(of: 0x0A)
            line = 1 + before.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            column = offset - (lastNewline.map { $0 + 1 } ?? 0) + 1
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        private var depth = 0
        static let maxDepth = 512

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        func failure(_ message: String) -> ParseError { ParseError(message: message, offset: index, in: bytes) }

        private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func parseValue() throws(ParseError) -> JSONValue {
            guard let byte = current else { throw failure("expected a value but the text ended") }
            switch byte {
            case UInt8(ascii: "{"): return try parseObject()
            case UInt8(ascii: "["): return try parseArray()
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"):
                try expectWord("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expectWord("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expectWord("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw failure("unexpected character '\(Character(Unicode.Scalar(byte)))'")
            }
        }

        private mutating func expectWord(_ word: StaticString) throws(ParseError) {
            let start = index
            for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
                guard current == expected else {
                    index = start
                    throw failure("unexpected text (expected \(word))")
                }
                index += 1
            }
        }

        private mutating func enter() throws(ParseError) {
            depth += 1
            if depth > Parser.maxDepth { throw failure("values nested more than \(Parser.maxDepth) deep") }
        }

        private mutating func parseObject() throws(ParseError) -> JSONValue {
            try enter()
            index += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw failure("expected a quoted member name") }
                let key = try parseString()
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw failure("expected ':' after member name \"\(key)\"") }
                index += 1
                skipWhitespace()
                if members[key] != nil { throw failure("duplicate member \"\(key)\"") }
                members[key] = try parseValue()
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    depth -= 1
                    return .object(members)
                default: throw failure("expected ',' or '}' after an object member")
                }
            }
        }

        private mutating func parseArray() throws(ParseError) -> JSONValue {
            try enter()
            index += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try parseValue())
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"):
                    index += 1
                    depth -= 1
                    return .array(items)
                default: throw failure("expected ',' or ']' after an array item")
                }
            }
        }

        private mutating func parseString() throws(ParseError) -> String {
            let open = index
            index += 1
            let start = index
            // Fast path: no escapes.
            while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 { index += 1 }
            if current == UInt8(ascii: "\"") {
                guard let text = decodeUTF8(bytes[start..<index]) else {
                    index = start
                    throw failure("string is not valid UTF-8")
                }
                index += 1
                return text
            }
            // Slow path: the text is built as UTF-8 bytes (each run checked, each escape encoded), which
            // stays linear however many escapes there are; appending to a String.UnicodeScalarView was not.
            var utf8: [UInt8] = []
            var runStart = start
            while true {
                guard let byte = current else {
                    index = open
                    throw failure("string is never closed")
                }
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 {
                    guard isValidUTF8(bytes[runStart..<index]) else {
                        index = runStart
                        throw failure("string is not valid UTF-8")
                    }
                    utf8.append(contentsOf: bytes[runStart..<index])
                }
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return String(decoding: utf8, as: UTF8.self)
                }
                if byte < 0x20 { throw failure("control character in a string (write it as an escape, e.g. \\n)") }
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    UTF8.encode(try parseEscape()) { utf8.append($0) }
                    runStart = index
                } else {
                    index += 1
                }
            }
        }

        /// Whether `run` is valid UTF-8 (without building a String).
        private func isValidUTF8(_ run: ArraySlice<UInt8>) -> Bool {
            var iterator = run.makeIterator()
            var parser = Unicode.UTF8.ForwardParser()
            while true {
                switch parser.parseScalar(from: &iterator) {
                case .valid: continue
                case .error: return false
                case .emptyInput: return true
                }
            }
        }

        private mutating func parseEscape() throws(ParseError) -> Unicode.Scalar {
            guard let byte = current else { throw failure("string is never closed") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let first = try parseHex4()
                if (0xD800..<0xDC00).contains(first) {
                    if current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") {
                        let next = index
                        index += 2
                        let second = try parseHex4()
                        if (0xDC00..<0xE000).contains(second),
                            let scalar = Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
                        {
                            return scalar
                        }
                        index = next  // not a low surrogate: the high one stands alone, the escape is read next
                    }
                    return "\u{FFFD}"  // a lone high surrogate (see the policy above)
                }
                return Unicode.Scalar(first) ?? "\u{FFFD}"  // a lone low surrogate
            default:
                index -= 1
                throw failure("invalid escape '\\\(Character(Unicode.Scalar(byte)))'")
            }
        }

        private mutating func parseHex4() throws(ParseError) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                // Digits only: also refuses the sign `UInt32(_:radix:)` would take.
                guard let byte = current, let digit = Self.hexValue(byte) else {
                    throw failure("expected 4 hex digits after \\u")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        private static func hexValue(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
        }

        private mutating func parseNumber() throws(ParseError) -> JSONValue {
            let start = index
            var isInteger = true
            if current == UInt8(ascii: "-") { index += 1 }
            guard let first = current, Self.isDigit(first) else { throw failure("expected a digit") }
            if first == UInt8(ascii: "0") {
                index += 1
                if let next = current, Self.isDigit(next) { throw failure("numbers must not have leading zeros") }
            } else {
                while let byte = current, Self.isDigit(byte) { index += 1 }
            }
            if current == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                guard let byte = current, Self.isDigit(byte) else { throw failure("expected a digit after '.'") }
                while let byte = current, Self.isDigit(byte) { index += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard let byte = current, Self.isDigit(byte) else { throw failure("expected a digit in the exponent") }
                while let byte = current, Self.isDigit(byte) { index += 1 }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if isInteger, let value = Int(text) { return .int(value) }
            guard let value = Double(text), value.isFinite else {
                index = start
                throw failure("number \(text) is out of range")
            }
            return .double(value)
        }

        private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    }
}

/// Decodes UTF-8 bytes, or returns `nil` when they are not valid UTF-8 (the JSON parser's and the CSV
/// reader's one check).
package func decodeUTF8<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
    if #available(macOS 15, *) {
        return String(validating: bytes, as: UTF8.self)
    } else {
        return String(bytes: Array(bytes), encoding: .utf8)
    }
}
