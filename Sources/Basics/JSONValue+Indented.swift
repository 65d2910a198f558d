import Foundation

extension JSONValue {
    /// The value as stable indented JSON: two spaces, keys sorted by UTF-8 bytes, numbers as in
    /// ``canonicalText``, lists of scalars on one line, ending in a newline.
    ///
    /// Files meant for `git diff` (model info, the committed scores file) use it: equal values give
    /// equal bytes, and one changed figure changes one line.
    public var indentedText: String {
        var out = ""
        writeIndented(to: &out, indent: "")
        return out + "\n"
    }

    private func writeIndented(to out: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .array(let items) where !items.isEmpty:
            if items.allSatisfy({ $0.arrayValue == nil && $0.objectValue == nil }) {  // short scalar lists on one line
                writeCanonical(to: &out)
                return
            }
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += inner
                item.writeIndented(to: &out, indent: inner)
                out += index + 1 < items.count ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            let keys = members.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for (index, key) in keys.enumerated() {
                out += inner
                JSONValue.writeEscaped(key, to: &out)
                out += ": "
                members[key]?.writeIndented(to: &out, indent: inner)
                out += index + 1 < keys.count ? ",\n" : "\n"
            }
            out += indent + "}"
        default:
            writeCanonical(to: &out)
        }
    }
}
