import Basics

/// The one rule for a row's text fields (`input`, `output`), shared by everything that reads rows:
/// the dataset loader, `lunette score` and the scoring server.
///
/// A string is the text; a number or a boolean is its JSON spelling (CSV cells and hand-written
/// JSON mix them freely). `null`, a blank string and an empty array count as empty. Anything else,
/// an object or a non-empty array, is not text and is refused, never flattened to its JSON text.
///
/// ```swift
/// TextField.read(.string("hi"))            // .text("hi")
/// TextField.read(.null)                    // .empty
/// TextField.read(["a": "b"])               // .notText(kind: "an object")
/// ```
public enum TextField {
    /// What a field's raw value is, by the rule.
    public enum Reading: Equatable, Sendable {
        /// The text to use.
        case text(String)
        /// Absent, `null`, blank or an empty array.
        case empty
        /// Not text: the value's kind for the message ("an object", "an array").
        case notText(kind: String)
    }

    /// Applies the rule to `value` (`nil` when the row lacks the field).
    public static func read(_ value: JSONValue?) -> Reading {
        guard let value, !isEmpty(value) else { return .empty }
        switch value {
        case .string(let text): return .text(text)
        case .int, .double, .bool: return .text(value.canonicalText)
        case .null, .array, .object: return .notText(kind: value.kindText)
        }
    }

    /// Whether `value` counts as empty in any field: `null`, a blank string or an empty array.
    public static func isEmpty(_ value: JSONValue) -> Bool {
        switch value {
        case .null: return true
        case .string(let text):
            // Fast path: text starting with a visible ASCII character is not blank.
            if let first = text.utf8.first, first > 0x20, first < 0x7F { return false }
            return text.allSatisfy(\.isWhitespace)
        case .array(let items): return items.isEmpty
        default: return false
        }
    }
}

extension JSONValue {
    /// "an array", "a string", … for messages.
    package var kindText: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

extension String {
    /// The string without leading and trailing whitespace.
    package var trimmingWhitespace: String {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
