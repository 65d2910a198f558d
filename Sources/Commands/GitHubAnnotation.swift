import Basics
import Foundation

/// A GitHub Actions workflow command that annotates a file: `::error file=…,line=…,col=…,title=…::message`.
///
/// `lunette check --format github` prints one per manifest diagnostic and stale stage, so a pull
/// request shows each problem on the line it concerns. Values are escaped as the Actions runner
/// expects: in the message `%`, `\r` and `\n` become `%25`, `%0D` and `%0A`; in a property value
/// `:` and `,` also become `%3A` and `%2C`.
struct GitHubAnnotation: Hashable, Sendable {
    /// The workflow command: `error`, `warning` or `notice`.
    enum Level: String, Sendable {
        case error, warning, notice
    }

    var level: Level
    /// A workspace-relative path (the runner resolves it against the checkout).
    var file: String?
    var line: Int?
    var column: Int?
    var title: String?
    var message: String

    /// The annotation for a manifest diagnostic: its file, line, column and code as the title; the
    /// key path and hint are kept in the message.
    init(_ diagnostic: Diagnostic) {
        switch diagnostic.severity {
        case .error: level = .error
        case .warning: level = .warning
        case .note: level = .notice
        }
        file = diagnostic.location?.file
        line = diagnostic.location?.line
        column = diagnostic.location?.column
        title = JSONOutput.code(of: diagnostic)
        var text = diagnostic.message
        if let keyPath = diagnostic.keyPath, !keyPath.isEmpty { text += " (\(keyPath))" }
        if let hint = diagnostic.hint { text += "\nfix: \(hint)" }
        message = text
    }

    init(level: Level, file: String? = nil, line: Int? = nil, column: Int? = nil, title: String? = nil, message: String) {
        self.level = level
        self.file = file
        self.line = line
        self.column = column
        self.title = title
        self.message = message
    }

    /// The workflow command line.
    var rendered: String {
        var properties: [String] = []
        if let file { properties.append("file=\(Self.escapeProperty(file))") }
        if let line { properties.append("line=\(line)") }
        if let column { properties.append("col=\(column)") }
        if let title { properties.append("title=\(Self.escapeProperty(title))") }
        let head = properties.isEmpty ? "::\(level.rawValue)" : "::\(level.rawValue) \(properties.joined(separator: ","))"
        return "\(head)::\(Self.escapeData(message))"
    }

    /// The message escaping: `%` → `%25`, `\r` → `%0D`, `\n` → `%0A`.
    static func escapeData(_ text: String) -> String {
        escape(text, extra: false)
    }

    /// A property value's escaping: the message's, plus `:` → `%3A` and `,` → `%2C`.
    static func escapeProperty(_ text: String) -> String {
        escape(text, extra: true)
    }

    /// Escapes scalar by scalar (`"\r\n"` is one `Character` in Swift, so a character-level
    /// replacement would miss it).
    private static func escape(_ text: String, extra: Bool) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let replacement: String?
            switch scalar {
            case "%": replacement = "%25"
            case "\r": replacement = "%0D"
            case "\n": replacement = "%0A"
            case ":" where extra: replacement = "%3A"
            case "," where extra: replacement = "%2C"
            default: replacement = nil
            }
            if let replacement { out.append(contentsOf: replacement.unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }
}
