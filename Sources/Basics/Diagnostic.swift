/// A problem found in user input, with where it is and how to fix it.
///
/// Diagnostics are collected, not thrown one at a time, so a user sees every problem in a manifest
/// at once. ``rendered()`` prints the compiler-style form:
///
/// ```
/// workflows/support.yaml:14:7: error: unknown key 'epoch' (runs.tox.train.epoch)
///    14 |       epoch: 3
///       |       ^
/// note: did you mean 'epochs'?
/// ```
public struct Diagnostic: Hashable, Sendable, Codable {
    public enum Severity: String, Hashable, Sendable, Codable {
        case error, warning, note
    }

    public var severity: Severity
    /// What is wrong, phrased as a fact.
    public var message: String
    /// Where it is, when it has a place in a file.
    public var location: SourceLocation?
    /// The key path inside the manifest, e.g. `runs.toxicity-v1.train.epochs`.
    public var keyPath: String?
    /// How to fix it, e.g. "did you mean 'epochs'?"; rendered as a `note:` line.
    public var hint: String?
    /// The source line the location points into, for the caret display.
    public var sourceLine: String?

    public init(
        _ severity: Severity, _ message: String, at location: SourceLocation? = nil, keyPath: String? = nil,
        hint: String? = nil, sourceLine: String? = nil
    ) {
        self.severity = severity
        self.message = message
        self.location = location
        self.keyPath = keyPath
        self.hint = hint
        self.sourceLine = sourceLine
    }

    public static func error(
        _ message: String, at location: SourceLocation? = nil, keyPath: String? = nil, hint: String? = nil,
        sourceLine: String? = nil
    ) -> Diagnostic {
        Diagnostic(.error, message, at: location, keyPath: keyPath, hint: hint, sourceLine: sourceLine)
    }

    public static func warning(
        _ message: String, at location: SourceLocation? = nil, keyPath: String? = nil, hint: String? = nil,
        sourceLine: String? = nil
    ) -> Diagnostic {
        Diagnostic(.warning, message, at: location, keyPath: keyPath, hint: hint, sourceLine: sourceLine)
    }

    public var isError: Bool { severity == .error }

    /// The compiler-style text: `file:line:column: severity: message (key.path)`, then the source line
    /// with a caret under the column, then `note: hint`.
    public func rendered() -> String {
        var head = ""
        if let location { head += "\(location): " }
        head += "\(severity.rawValue): \(message)"
        if let keyPath, !keyPath.isEmpty { head += " (\(keyPath))" }
        var lines = [head]
        if let location, let sourceLine {
            let number = String(location.line)
            let gutter = String(repeating: " ", count: number.count)
            lines.append(" \(number) | \(sourceLine)")
            let prefix = sourceLine.prefix(max(0, location.column - 1)).map { $0 == "\t" ? "\t" : " " }.joined()
            lines.append(" \(gutter) | \(prefix)^")
        }
        if let hint { lines.append("note: \(hint)") }
        return lines.joined(separator: "\n")
    }
}

extension Array where Element == Diagnostic {
    /// Whether any diagnostic is an error.
    public var hasErrors: Bool { contains { $0.isError } }

    /// Every diagnostic rendered, separated by blank lines, sorted by file, line and column.
    public func rendered() -> String {
        sorted { a, b in
            let la = a.location ?? SourceLocation(file: "", line: 0, column: 0)
            let lb = b.location ?? SourceLocation(file: "", line: 0, column: 0)
            return (la.file, la.line, la.column, a.message) < (lb.file, lb.line, lb.column, b.message)
        }.map { $0.rendered() }.joined(separator: "\n\n")
    }
}
