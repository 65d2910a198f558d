import Basics
import Foundation
import Yams

/// The text of one manifest, and how Yams marks become ``SourceLocation``s and caret lines.
struct ManifestSource {
    /// Workspace-relative path of the manifest, e.g. `workflows/demo.yaml`.
    let path: String
    let text: String
    private let lines: [Substring]
    /// Per line: whether it continues the value of a credential key above it (a multi-line `api_key:`
    /// value, or anything nested under such a key): it lies below a line with a credential key, more
    /// indented, with no less indented line between.
    private let continuesCredential: [Bool]

    init(path: String, text: String) {
        self.path = path
        self.text = text
        // Line breaks as libyaml counts them; "\r\n" is one Character in Swift, so it is listed itself.
        self.lines = text.split(omittingEmptySubsequences: false) {
            $0 == "\n" || $0 == "\r\n" || $0 == "\r" || $0 == "\u{85}" || $0 == "\u{2028}" || $0 == "\u{2029}"
        }
        var continues = [Bool](repeating: false, count: lines.count)
        var holdsCredential = continues
        // The lines that may own the next one: non-blank, non-comment, indents strictly increasing.
        var open: [(indent: Int, line: Int)] = []
        for (index, line) in lines.enumerated() {
            let scalars = Array(line.unicodeScalars)
            let indent = scalars.prefix { $0 == " " || $0 == "\t" }.count
            guard indent < scalars.count, scalars[indent] != "#" else { continue }
            while let last = open.last, last.indent >= indent { open.removeLast() }
            if let owner = open.last { continues[index] = continues[owner.line] || holdsCredential[owner.line] }
            holdsCredential[index] = Self.credentialCut(scalars) != nil
            open.append((indent, index))
        }
        self.continuesCredential = continues
    }

    /// The 1-based line as a diagnostic shows it: without its line break, and cut after the first key
    /// that names a credential (`api_key: <redacted>`, `{ token: <redacted>`; see
    /// ``ManifestSchema/isCredentialName(_:)``), before the first word that looks like an API key
    /// (`api_kye: <redacted>`; see ``ManifestSchema/firstKeyLike(in:)``), or from `secret` (a mark the
    /// reader knows holds a secret, see ``ManifestReader/markSecret(value:)``), whichever comes first. A
    /// line that continues a credential key's value (more indented, below it) is redacted whole. Every
    /// diagnostic's source line comes from here, so no literal key reaches the output, whatever the
    /// diagnostic (a syntax error, a duplicate key, a typo such as `apikey:`). Nil past the end.
    func line(_ number: Int, secret: (column: Int, isKey: Bool)? = nil) -> String? {
        guard let raw = rawLine(number) else { return nil }
        let scalars = Array(raw.unicodeScalars)
        if continuesCredential[number - 1] {
            return String(String.UnicodeScalarView(scalars.prefix { $0 == " " || $0 == "\t" })) + "<redacted>"
        }
        var cut = Self.credentialCut(scalars)
        if var word = ManifestSchema.firstKeyLike(in: scalars) {
            if word > 0, scalars[word - 1] == "\"" || scalars[word - 1] == "'" { word -= 1 }
            cut = min(cut ?? word, word)
        }
        if let secret {
            let start = min(max(0, secret.column - 1), scalars.count)
            let fromMark = secret.isKey ? scalars[start...].firstIndex(of: ":").map { $0 + 1 } ?? start : start
            cut = min(cut ?? fromMark, fromMark)
        }
        guard let cut else { return raw }
        let afterColon = cut > 0 && scalars[cut - 1] == ":"
        return String(String.UnicodeScalarView(scalars[..<cut])) + (afterColon ? " <redacted>" : "<redacted>")
    }

    /// The 1-based line's text exactly as written, for reading the text (never for display), or nil past
    /// the end.
    func rawLine(_ number: Int) -> String? {
        guard number >= 1, number <= lines.count else { return nil }
        return String(lines[number - 1])
    }

    /// Where a line's first credential value starts: just after the colon of the first `key:` whose key
    /// names a credential; nil when there is none. A key is what precedes a `:` followed by a space, a tab
    /// or the end of the line, back to the line's start or a `{`, `,`, `[` or `- `; quotes around it are
    /// ignored. A `key:` inside a quoted value counts too: cutting too much is safe.
    private static func credentialCut(_ scalars: [Unicode.Scalar]) -> Int? {
        var keyStart = 0
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case "{", ",", "[": keyStart = index + 1
            case ":":
                guard index + 1 == scalars.count || scalars[index + 1] == " " || scalars[index + 1] == "\t" else {
                    continue
                }
                // Trimmed of " \t-?\"'" on the scalars: Foundation's trimming bridges through NSString,
                // and this runs for every key of every line.
                var start = keyStart, end = index
                func trimmed(_ scalar: Unicode.Scalar) -> Bool { " \t-?\"'".unicodeScalars.contains(scalar) }
                while start < end, trimmed(scalars[start]) { start += 1 }
                while end > start, trimmed(scalars[end - 1]) { end -= 1 }
                if start < end, ManifestSchema.isCredentialName(String(String.UnicodeScalarView(scalars[start..<end]))) {
                    return index + 1
                }
                keyStart = index + 1
            default: continue
            }
        }
        return nil
    }

    /// The number of lines.
    var lineCount: Int { lines.count }

    /// The location of a Yams mark in this file.
    func location(_ mark: Mark?) -> SourceLocation? {
        guard let mark else { return nil }
        return SourceLocation(file: path, line: mark.line, column: mark.column)
    }

    /// The location of a node's first character.
    func location(of node: Node?) -> SourceLocation? { location(node?.mark) }

    /// The first byte of `data` that is not part of valid UTF-8, with its 1-based line and column
    /// (columns count characters, as libyaml's marks do). Line 1, column 1 and byte 0 when all is valid.
    static func firstInvalidUTF8(in data: Data) -> (byte: UInt8, line: Int, column: Int) {
        var line = 1
        var column = 1
        var offset = 0
        var bytes = data.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid(let encoded):
                offset += encoded.count
                if encoded.count == 1 && encoded.first == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            case .error:
                return (data[data.startIndex + offset], line, column)
            case .emptyInput:
                return (0, 1, 1)
            }
        }
    }
}

/// Key paths in diagnostics: `runs.toxicity-v1.train.epochs`, `runs.x.stages.y.inputs[2]`.
extension String {
    /// This key path with one more key.
    func appendingKey(_ key: String) -> String { isEmpty ? key : self + "." + key }

    /// This key path with a list index.
    func appendingIndex(_ index: Int) -> String { self + "[\(index)]" }
}
