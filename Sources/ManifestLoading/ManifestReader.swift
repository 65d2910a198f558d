import Basics
import Foundation
import WorkflowModel
import Yams

/// Reads one composed manifest into a ``Project``, collecting every problem instead of stopping at the first.
///
/// One reader lives for one `load` call and is never shared, so it is a class for its mutable
/// diagnostic log rather than an actor. The decoding itself is split by concern into
/// `ManifestReader+Project.swift`, `+Runs`, `+Metric`, `+Datasets`, `+Settings`, `+Providers` and `+Stages`;
/// this file holds the diagnostic log and the typed scalar accessors they share.
final class ManifestReader {
    let source: ManifestSource
    let paths: PathResolver
    let modelsDirectory: URL?
    private(set) var diagnostics: [Diagnostic] = []
    /// Every output path a custom stage declares, for the duplicate-output checks.
    var outputClaims: [OutputClaim] = []
    /// Custom stage inputs not on disk, checked against every stage's outputs at the end.
    var pendingInputs: [PendingInput] = []
    /// Every data file and custom stage input the manifest reads, which no output may overlap.
    var reads: [ReadPath] = []
    /// The parts of the workspace no output may be, contain or lie inside.
    let protectedPaths: [ProtectedPath]
    /// Provider names declared under `providers:`; empty until that section is read.
    var providerNames: Set<String> = []
    /// The `project:` value, where a cross-manifest "same project name" error points.
    var projectNameNode: Node?
    /// Where secrets (or what may be secrets) start: their lines are redacted in every diagnostic.
    private var secrets: [Int: (column: Int, isKey: Bool)] = [:]
    /// Base models already checked for installation, so each is reported once.
    var checkedModels: Set<String> = []

    /// How a base model that is not installed is reported (see ``ManifestLoader/missingModelSeverity``).
    let missingModelSeverity: Diagnostic.Severity
    /// The task types' settings schemas by manifest section (see ``ManifestLoader/settings``).
    let settingsSchemas: [String: SettingsSchema]
    /// What each registered task type takes, by id (see ``ManifestLoader/tasks``).
    let taskDeclarations: [String: TaskDeclaration]

    init(
        source: ManifestSource, paths: PathResolver, modelsDirectory: URL?, protectedPaths: [ProtectedPath] = [],
        missingModelSeverity: Diagnostic.Severity = .error, settings: [String: SettingsSchema] = [:],
        tasks: [String: TaskDeclaration] = [:]
    ) {
        self.settingsSchemas = settings
        self.taskDeclarations = tasks
        self.source = source
        self.paths = paths
        self.modelsDirectory = modelsDirectory
        self.protectedPaths = protectedPaths
        self.missingModelSeverity = missingModelSeverity
    }

    // MARK: Diagnostics

    /// Records a diagnostic at a mark, with the source line for the caret display.
    func report(
        _ severity: Diagnostic.Severity, _ message: String, at mark: Mark?, keyPath: String, hint: String? = nil
    ) {
        let location = source.location(mark)
        let line = location.flatMap { source.line($0.line) }
        diagnostics.append(
            Diagnostic(severity, message, at: location, keyPath: keyPath, hint: hint, sourceLine: line))
    }

    /// Marks a key whose value is a secret: every diagnostic showing its line shows `key: <redacted>`.
    func markSecret(key node: Node) { markSecret(node.mark, isKey: true) }

    /// Marks a value that may be a secret: every diagnostic showing its line stops before it.
    func markSecret(value node: Node) { markSecret(node.mark, isKey: false) }

    /// Keeps the leftmost secret of a line, so redacting from it hides every one after it too.
    private func markSecret(_ mark: Mark?, isKey: Bool) {
        guard let mark else { return }
        if let existing = secrets[mark.line], existing.column <= mark.column { return }
        secrets[mark.line] = (mark.column, isKey)
    }

    /// Every diagnostic, sorted by place, with secret lines redacted (see ``markSecret(key:)``), so no
    /// secret reaches the output whichever diagnostic shows that line.
    func finishedDiagnostics() -> [Diagnostic] {
        diagnostics.map { diagnostic in
            guard let location = diagnostic.location, let secret = secrets[location.line],
                  diagnostic.sourceLine != nil
            else { return diagnostic }
            var copy = diagnostic
            copy.sourceLine = source.line(location.line, secret: secret)
            return copy
        }.sortedByLocation()
    }

    /// Records an error at a node.
    func error(_ message: String, at node: Node?, _ keyPath: String, hint: String? = nil) {
        report(.error, message, at: node?.mark, keyPath: keyPath, hint: hint)
    }

    /// Records a diagnostic built elsewhere (e.g. by the composer).
    func append(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    /// Whether any error has been recorded so far.
    var hasErrors: Bool { diagnostics.hasErrors }

    // MARK: Scalars

    /// A string scalar (any non-null scalar, read as written), or an error saying what was found.
    func string(_ node: Node, _ keyPath: String, allowEmpty: Bool = false) -> String? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            error("expected a string, found \(node.kindDescription)", at: node, keyPath)
            return nil
        }
        if !allowEmpty, scalar.string.unicodeScalars.allSatisfy({ CharacterSet.whitespaces.contains($0) }) {
            error("expected a non-empty string", at: node, keyPath)
            return nil
        }
        return scalar.string
    }

    /// A name matching `pattern` (a regular expression for the whole string), described as `what`.
    func name(_ node: Node, _ keyPath: String, pattern: String, what: String) -> String? {
        guard let text = string(node, keyPath) else { return nil }
        guard Self.matches(text, pattern) else {
            error("invalid \(what) '\(text)': use lowercase letters, digits and \(Self.describe(pattern))",
                at: node, keyPath)
            return nil
        }
        return text
    }

    /// Whether all of `text` matches `pattern`: the name patterns (`[a-z0-9][a-z0-9_-]*` and kin) by
    /// hand, any other as a regular expression (ICU's costs a manifest of 1,400 stages tens of ms).
    static func matches(_ text: String, _ pattern: String) -> Bool {
        let head = "[a-z0-9][a-z0-9", tail = "]*"
        guard pattern.hasPrefix(head), pattern.hasSuffix(tail), pattern.count > head.count + tail.count - 1 else {
            return text.range(of: "^" + pattern + "$", options: .regularExpression) != nil
        }
        let extra = Set(pattern.dropFirst(head.count).dropLast(tail.count).unicodeScalars)
        guard !extra.contains("-") || pattern.dropFirst(head.count).dropLast(tail.count).last == "-" else {
            return text.range(of: "^" + pattern + "$", options: .regularExpression) != nil  // a range, not a dash
        }
        func plain(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) }
        var scalars = text.unicodeScalars.makeIterator()
        guard let first = scalars.next(), plain(first) else { return false }
        while let next = scalars.next() {
            guard plain(next) || extra.contains(next) else { return false }
        }
        return true
    }

    private static func describe(_ pattern: String) -> String {
        pattern.contains(".") ? "'_', '-', '.' (starting with a letter or digit)"
            : "'_', '-' (starting with a letter or digit)"
    }

    /// An integer within `range`.
    func int(_ node: Node, _ keyPath: String, in range: ClosedRange<Int>? = nil) -> Int? {
        guard node.tagName == .int, let value = node.int else {
            error("expected an integer, found \(node.kindDescription)", at: node, keyPath)
            return nil
        }
        if let range, !range.contains(value) {
            error("\(keyPath.lastKey) must be \(Self.describe(range)), found \(value)", at: node, keyPath)
            return nil
        }
        return value
    }

    /// A number (integer or float) that `check` accepts; `rule` says what is required, e.g. "between 0 and 1".
    func number(_ node: Node, _ keyPath: String, rule: String? = nil, where check: (Double) -> Bool = { _ in true })
        -> Double?
    {
        let value: Double?
        switch node.tagName {
        case .int: value = node.int.map(Double.init)
        case .float: value = node.float
        default: value = nil
        }
        guard let value, value.isFinite else {
            error("expected a number, found \(node.kindDescription)", at: node, keyPath)
            return nil
        }
        if !check(value) {
            error("\(keyPath.lastKey) must be \(rule ?? "valid"), found \(node.string ?? String(value))",
                at: node, keyPath)
            return nil
        }
        return value
    }

    /// A boolean (`true`/`false`; YAML 1.1 spellings such as `yes` are accepted as Yams reads them).
    func bool(_ node: Node, _ keyPath: String) -> Bool? {
        guard node.tagName == .bool, let value = node.bool else {
            error("expected true or false, found \(node.kindDescription)", at: node, keyPath)
            return nil
        }
        return value
    }

    /// One of an enumeration's raw values, with a did-you-mean.
    func choice<E: RawRepresentable & CaseIterable>(_ type: E.Type, _ node: Node, _ keyPath: String) -> E?
    where E.RawValue == String {
        guard let text = string(node, keyPath) else { return nil }
        if let value = E(rawValue: text) { return value }
        let names = E.allCases.map(\.rawValue)
        error(
            "unknown \(keyPath.lastKey.replacingOccurrences(of: "_", with: " ")) '\(text)'", at: node, keyPath,
            hint: Suggestion.hint(for: text, in: names) ?? "expected one of: \(names.joined(separator: ", "))")
        return nil
    }

    /// One of a fixed list of strings, with a did-you-mean.
    func choice(_ names: [String], _ node: Node, _ keyPath: String) -> String? {
        guard let text = string(node, keyPath) else { return nil }
        if names.contains(text) { return text }
        error(
            "unknown \(keyPath.lastKey.replacingOccurrences(of: "_", with: " ")) '\(text)'", at: node, keyPath,
            hint: Suggestion.hint(for: text, in: names) ?? "expected one of: \(names.joined(separator: ", "))")
        return nil
    }

    /// The items of a sequence (a single scalar is not promoted: lists must be lists).
    func sequence(_ node: Node, _ keyPath: String) -> [Node]? {
        if node.isNull { return [] }
        guard case .sequence(let items) = node else {
            error("expected a list, found \(node.kindDescription)", at: node, keyPath)
            return nil
        }
        return Array(items)
    }

    private static func describe(_ range: ClosedRange<Int>) -> String {
        if range.upperBound == Int.max { return "at least \(range.lowerBound)" }
        return "between \(range.lowerBound) and \(range.upperBound)"
    }
}

extension Array where Element == Diagnostic {
    /// Sorted by file, line, column and message, so output never depends on the order checks ran.
    func sortedByLocation() -> [Diagnostic] {
        sorted { a, b in
            let la = a.location ?? SourceLocation(file: "", line: 0, column: 0)
            let lb = b.location ?? SourceLocation(file: "", line: 0, column: 0)
            return (la.file, la.line, la.column, a.message) < (lb.file, lb.line, lb.column, b.message)
        }
    }
}

extension String {
    /// The last key of a key path (`runs.a.train.epochs` → `epochs`), without a list index.
    var lastKey: String {
        let last = split(separator: ".").last.map(String.init) ?? self
        return last.split(separator: "[").first.map(String.init) ?? last
    }
}
