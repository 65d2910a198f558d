import Basics

/// Finds where a key is written the second time, and the key path around it, from the manifest text.
///
/// Yams rejects a mapping with a repeated key before it returns any node, and its error carries only
/// the first occurrence's mark. Pointing at the first one would send the user to the line that is
/// probably right, so these text heuristics look for the repeat: first at the same column further
/// down (block style), then anywhere after the first (flow style). They only shape the message: when
/// they find nothing the diagnostic falls back to the first occurrence.
enum DuplicateKeyLocator {
    /// The location of the next occurrence of `key:` after `first`.
    static func secondOccurrence(of key: String, after first: SourceLocation, in source: ManifestSource)
        -> SourceLocation?
    {
        let spellings = [key, "\"\(key)\"", "'\(key)'"]
        let indent = first.column - 1
        if first.line < source.lineCount {
            for number in (first.line + 1)...source.lineCount {
                guard let line = source.rawLine(number) else { break }
                let scalars = Array(line.unicodeScalars)
                let content = scalars.drop { $0 == " " }
                if content.isEmpty || content.first == "#" { continue }
                let lineIndent = scalars.count - content.count
                if lineIndent < indent { break }
                if lineIndent == indent, spellings.contains(where: { startsKey($0, String(String.UnicodeScalarView(content))) }) {
                    return SourceLocation(file: first.file, line: number, column: first.column)
                }
            }
        }
        // Flow style: the next "key:" after the first, on this line or a later one.
        for number in first.line...max(first.line, source.lineCount) {
            guard let line = source.rawLine(number) else { break }
            let scalars = Array(line.unicodeScalars)
            let from = number == first.line ? min(scalars.count, first.column) : 0
            for start in from..<max(from, scalars.count) {
                let previous = start == 0 ? " " : scalars[start - 1]
                guard [" ", "{", ",", "\t"].contains(previous) else { continue }
                let rest = String(String.UnicodeScalarView(scalars[start...]))
                if spellings.contains(where: { startsKey($0, rest) }) {
                    return SourceLocation(file: first.file, line: number, column: start + 1)
                }
            }
        }
        return nil
    }

    /// The key path of the block-style key at `location`: the keys of the less-indented lines above it.
    /// Nil when the key is not the first thing on its line (flow style), where indentation says nothing.
    static func keyPath(at location: SourceLocation, key: String, in source: ManifestSource) -> String? {
        guard let keyLine = source.rawLine(location.line) else { return nil }
        let lead = keyLine.unicodeScalars.prefix { $0 == " " || $0 == "-" }.count
        guard lead == location.column - 1 else { return nil }
        var path = [key]
        var indent = location.column - 1
        var number = location.line - 1
        while number >= 1, indent > 0 {
            defer { number -= 1 }
            guard let line = source.rawLine(number) else { break }
            let scalars = Array(line.unicodeScalars)
            let content = scalars.drop { $0 == " " || $0 == "-" }
            guard !content.isEmpty, content.first != "#" else { continue }
            let lineIndent = scalars.count - content.count
            guard lineIndent < indent else { continue }
            indent = lineIndent
            let text = String(String.UnicodeScalarView(content))
            guard let colon = text.firstIndex(of: ":") else { continue }
            path.insert(text[..<colon].trimmingQuotes, at: 0)
        }
        return path.joined(separator: ".")
    }

    /// Whether `text` starts with `spelling` followed by optional spaces and a colon.
    private static func startsKey(_ spelling: String, _ text: String) -> Bool {
        guard text.hasPrefix(spelling) else { return false }
        let rest = text.dropFirst(spelling.count).drop { $0 == " " }
        return rest.first == ":"
    }
}

extension Substring {
    fileprivate var trimmingQuotes: String {
        var text = self
        if let first = text.first, first == "\"" || first == "'", text.last == first, text.count >= 2 {
            text = text.dropFirst().dropLast()
        }
        return String(text)
    }
}
