import Basics
import Foundation
import RunStore

/// The committed registry: `workflows/registry.jsonl`, every registered metric version and alias of
/// the workspace, one JSON object per line, sorted.
///
/// ```
/// {"name":"toxicity","version":1,"base_model":"minilm-l6","manifest":"sha256:…","model":"sha256:…","project":"moderation","registered_at":"2026-12-05T21:04:11Z","report":"sha256:…","run":"toxicity","scores":{"accuracy":0.8982,"macro_f1":0.8273,…}}
/// {"name":"toxicity","alias":"champion","version":1}
/// ```
///
/// Each name's versions come in version order, then its aliases in alias order, names in byte order;
/// `name` and then `version` or `alias` lead each line, the other keys follow sorted. One line per
/// version keeps merges plain: two branches that each registered `toxicity@2` conflict on that line,
/// and `lunette check` refuses a file that names a version twice once both lines are kept. The file
/// holds no absolute paths and nothing machine-specific. The store (`cache/lunette.sqlite`) mirrors
/// it and is rebuilt from it whenever they differ (a fresh clone, `git pull`, a branch switch).
public struct RegistryFile: Hashable, Sendable {
    /// Where the file lives, relative to the workspace root.
    public static let path = "workflows/registry.jsonl"

    /// Every version, sorted by name then version, each with its aliases.
    public var metrics: [RegisteredMetric]

    public init(metrics: [RegisteredMetric]) {
        self.metrics = metrics.sorted { ($0.name, $0.version) < ($1.name, $1.version) }
    }

    // MARK: - Writing

    /// The file's text (empty when nothing is registered).
    public var rendered: String {
        var lines: [String] = []
        for (_, versions) in Dictionary(grouping: metrics, by: \.name).sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            let sorted = versions.sorted { $0.version < $1.version }
            for metric in sorted { lines.append(Self.line(for: metric)) }
            let aliases = sorted.flatMap { metric in metric.aliases.map { ($0, metric.version) } }
                .sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            for (alias, version) in aliases {
                lines.append(Self.line(lead: [("name", .string(versions[0].name)), ("alias", .string(alias))],
                                       rest: ["version": .int(version)]))
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    static func line(for metric: RegisteredMetric) -> String {
        let summary = (try? JSONValue.parse(metric.summary))?.objectValue ?? [:]
        var rest: [String: JSONValue] = [
            "model": .string(metric.modelDigest), "project": .string(metric.project), "run": .string(metric.run),
            "registered_at": .string(Self.formatDate(metric.registeredAt)),
        ]
        rest["report"] = metric.reportDigest.map(JSONValue.string)
        rest["manifest"] = metric.manifestDigest.map(JSONValue.string)
        if let baseModel = summary["base_model"] { rest["base_model"] = baseModel }
        rest["scores"] = .object(summary.filter { $0.key != "base_model" })
        return line(lead: [("name", .string(metric.name)), ("version", .int(metric.version))], rest: rest)
    }

    /// `{"lead1":…,"lead2":…,` then `rest` in canonical order.
    static func line(lead: [(String, JSONValue)], rest: [String: JSONValue]) -> String {
        var out = "{"
        for (index, (key, value)) in lead.enumerated() {
            if index > 0 { out += "," }
            JSONValue.writeEscaped(key, to: &out)
            out += ":"
            value.writeCanonical(to: &out)
        }
        let tail = JSONValue.object(rest).canonicalText
        if tail != "{}" { out += "," + tail.dropFirst() } else { out += "}" }
        return out
    }

    /// Seconds-precision UTC, so the text survives a round trip through the store.
    static func formatDate(_ date: Date) -> String { UTCTimestamp.string(from: date) }

    // MARK: - Reading

    /// Parses the file, collecting every problem with its line and column: malformed lines,
    /// missing keys, unresolved merge-conflict markers, a version or an alias named twice, one
    /// model registered under two versions of a name, an alias pointing at no version.
    /// - Parameter file: the path diagnostics name.
    public static func parse(_ text: String, file: String = path) -> (file: RegistryFile, diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var versions: [String: (metric: RegisteredMetric, line: Int)] = [:]
        var models: [String: Int] = [:]
        var aliases: [(name: String, alias: String, version: Int, line: Int)] = []
        var aliasLines: [String: Int] = [:]
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            func error(_ message: String, column: Int = 1, hint: String? = nil) {
                diagnostics.append(.error(message, at: SourceLocation(file: file, line: number, column: column), hint: hint, sourceLine: raw))
            }
            if line.isEmpty { continue }
            if ["<<<<<<<", "=======", ">>>>>>>", "|||||||"].contains(where: { line.hasPrefix($0) }) {
                error("unresolved merge conflict marker",
                      hint: "keep the lines you want (one line per name@version), delete the markers, then `lunette check`")
                continue
            }
            let value: JSONValue
            do {
                value = try JSONValue.parse(line)
            } catch let parse as JSONValue.ParseError {
                error("not a JSON object: \(parse.message)", column: parse.offset + 1,
                      hint: "each line of \(path) is one JSON object written by lunette; restore the file from git")
                continue
            } catch let other {
                error("not a JSON object: \(other)")
                continue
            }
            guard let name = value["name"]?.stringValue, !name.isEmpty, let version = value["version"]?.intValue, version >= 1
            else {
                error("a registry line needs \"name\" and a \"version\" of 1 or more")
                continue
            }
            if let alias = value["alias"]?.stringValue {
                let key = "\(name)@\(alias)"
                if let first = aliasLines[key] {
                    error("alias \(key) is named twice (lines \(first) and \(number))",
                          hint: "keep the line with the version the alias should point at and delete the other")
                    continue
                }
                aliasLines[key] = number
                aliases.append((name, alias, version, number))
                continue
            }
            guard let model = value["model"]?.stringValue, ContentHash(parsing: model) != nil else {
                error("\(name)@\(version) has no valid \"model\" digest", hint: "restore the line from git")
                continue
            }
            let reference = "\(name)@\(version)"
            if let first = versions[reference] {
                error("\(reference) is named twice (lines \(first.line) and \(number))",
                      hint: "a merge kept two registrations of one version: keep the line of the model that should be \(reference), "
                          + "delete the other, and register that run again (`lunette register PROJECT/RUN`) to give it the next version")
                continue
            }
            if let first = models["\(name) \(model)"] {
                error("\(reference) registers the model of line \(first) again", hint: "delete one of the two lines")
                continue
            }
            models["\(name) \(model)"] = number
            var summary = value["scores"]?.objectValue ?? [:]
            if let baseModel = value["base_model"] { summary["base_model"] = baseModel }
            let date = value["registered_at"]?.stringValue.flatMap(UTCTimestamp.date(from:))
            if date == nil { error("\(reference) has no valid \"registered_at\" time (ISO 8601)") }
            versions[reference] = (
                RegisteredMetric(
                    name: name, version: version, modelDigest: model, reportDigest: value["report"]?.stringValue,
                    project: value["project"]?.stringValue ?? "", run: value["run"]?.stringValue ?? "",
                    manifestDigest: value["manifest"]?.stringValue, summary: JSONValue.object(summary).canonicalText,
                    registeredAt: date ?? Date(timeIntervalSince1970: 0)),
                number
            )
        }
        for alias in aliases {
            let reference = "\(alias.name)@\(alias.version)"
            guard versions[reference] != nil else {
                diagnostics.append(
                    .error("alias \(alias.name)@\(alias.alias) points at \(reference), which no line registers",
                           at: SourceLocation(file: file, line: alias.line, column: 1),
                           hint: "point it at a registered version (`lunette registry alias NAME@VERSION \(alias.alias)`) or delete the line",
                           sourceLine: lines[alias.line - 1]))
                continue
            }
            versions[reference]?.metric.aliases.append(alias.alias)
        }
        let metrics = versions.values.map(\.metric).map { metric -> RegisteredMetric in
            var metric = metric
            metric.aliases.sort()
            return metric
        }
        return (RegistryFile(metrics: metrics), diagnostics)
    }

    /// `name`, `name@version` or `name@alias` (`name` alone: the latest version); nil when nothing matches.
    public func resolve(_ reference: String) -> RegisteredMetric? {
        let parts = reference.split(separator: "@", maxSplits: 1).map(String.init)
        guard let name = parts.first else { return nil }
        let named = metrics.filter { $0.name == name }
        guard parts.count == 2 else { return named.max { $0.version < $1.version } }
        if let version = Int(parts[1]) { return named.first { $0.version == version } }
        return named.first { $0.aliases.contains(parts[1]) }
    }
}
