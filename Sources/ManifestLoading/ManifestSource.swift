import Basics
import Foundation
import Yams

/// The text of one manifest, and how Yams marks become ``SourceLocation``s and caret lines.
struct ManifestSource {
    /// Workspace-relative path of the manifest, e.g. `workflows/demo.yaml`.
    let path: String
    let text: String
    private let lines: [Substring]

    init(path: String, text: String) {
        self.path = path
        self.text = text
        // Line breaks as libyaml counts them; "\r\n" is one Character in Swift, so it is listed itself.
        self.lines = text.split(omittingEmptySubsequences: false) {
            $0 == "\n" || $0 == "\r\n" || $0 == "\r" || $0 == "\u{85}" || $0 == "\u{2028}" || $0 == "\u{2029}"
        }
    }

    /// The 1-based line's text without its line break, or nil past the end.
    func line(_ number: Int) -> String? {
        guard number >= 1, number <= lines.count else { return nil }
        return String(lines[number - 1])
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
