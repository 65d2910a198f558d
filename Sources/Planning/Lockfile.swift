import Basics
import Foundation
import WorkflowModel

/// `workflows/<project>.lock`: what each stage's last successful action was, committed to git.
///
/// Per stage it holds the action key, the parts the key was computed from (task, version, params,
/// input digests) and the output digests, so that `lunette check` in a clean clone can recompute
/// every key from the files alone, and `lunette plan` can say *what* changed.
///
/// ## Format
/// A YAML-compatible text whose every value is one line of canonical JSON, so it is easy to read,
/// diff and parse without a YAML library:
/// ```
/// # Lunette lock for project demo: written by `lunette run`, checked by `lunette check`. Do not edit.
/// version: 1
/// stages:
///
///   demo/toxicity/load:
///     task: "load-dataset"
///     version: 1
///     key: "sha256:…"
///     params: {"columns":{},"format":"csv",…}
///     inputs: {"source":"sha256:…"}
///     outputs: {"rows":{"digest":"sha256:…","kind":"file","size":1234}}
/// ```
/// Design constraints: stages sorted by id and separated by a blank line, no timestamps and no
/// absolute paths, so two branches that changed different stages merge without conflicts, and
/// re-running with nothing changed rewrites the same bytes. Rejected: JSON (one change moves commas
/// and braces on neighbouring lines) and SQLite (not diffable in review).
public struct Lockfile: Hashable, Sendable {
    public static let formatVersion = 1

    public var project: String
    public var stages: [StageID: LockEntry]

    public init(project: String, stages: [StageID: LockEntry] = [:]) {
        self.project = project
        self.stages = stages
    }

    /// The lock text, byte-for-byte deterministic.
    public func rendered() -> String {
        var out = "# Lunette lock for project \(project): written by `lunette run`, checked by `lunette check`. Do not edit.\n"
        out += "version: \(Lockfile.formatVersion)\nstages:\n"
        for id in stages.keys.sorted() {
            guard let entry = stages[id] else { continue }
            var key = ""
            JSONValue.writeEscaped(id.description, to: &key)
            out += "\n  \(key):\n"
            out += "    task: \(JSONValue.string(entry.task).canonicalText)\n"
            out += "    version: \(entry.version)\n"
            out += "    key: \(JSONValue.string(entry.key.description).canonicalText)\n"
            out += "    params: \(entry.paramsText)\n"
            out += "    inputs: \(JSONValue.object(entry.inputs.mapValues { .string($0.description) }).canonicalText)\n"
            let outputs = entry.outputs.mapValues { output -> JSONValue in
                .object([
                    "digest": .string(output.digest.description), "size": .int(Int(output.size)),
                    "kind": .string(output.kind),
                ])
            }
            out += "    outputs: \(JSONValue.object(outputs).canonicalText)\n"
        }
        return out
    }

    /// Parses lock text, reporting problems with line numbers.
    ///
    /// A large lock (a 1,400-stage lock is 11,000 lines) is cut at stage entries into one piece per
    /// core, parsed in parallel; the first problem in the file's order is the one reported.
    /// - Parameter file: the workspace-relative path, for messages.
    public static func parse(_ text: String, file: String) throws -> Lockfile {
        // Lines are read as UTF-8 bytes: String's per-character walks (grapheme clusters) were a fifth
        // of a no-op `lunette run`.
        let bytes = Array(text.utf8)
        let pieces = bytes.count < 65_536 ? 1 : max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
        var cuts = [0]
        for piece in 1..<max(pieces, 1) {
            // The next stage entry (a line starting `  "`) after the piece's share of the bytes.
            var index = max(cuts.last!, bytes.count * piece / pieces)
            while index < bytes.count,
                !(bytes[index] == UInt8(ascii: "\n") && bytes[(index + 1)...].starts(with: "  \"".utf8))
            {
                index += 1
            }
            if index < bytes.count { cuts.append(index + 1) }
        }
        cuts.append(bytes.count)
        if cuts.count == 2 { return try parsePiece(bytes, 0..<bytes.count, firstLine: 1, file: file).get() }
        var firstLines = [1]
        for index in 1..<(cuts.count - 1) {
            firstLines.append(firstLines[index - 1] + bytes[cuts[index - 1]..<cuts[index]].count(where: { $0 == UInt8(ascii: "\n") }))
        }
        let ranges = (0..<(cuts.count - 1)).map { cuts[$0]..<cuts[$0 + 1] }, starts = firstLines
        let results = Parallel.map(ranges.count) { index in
            parsePiece(bytes, ranges[index], firstLine: starts[index], file: file)
        }
        var lock = Lockfile(project: "")
        for result in results {
            let piece = try result.get()
            if !piece.project.isEmpty { lock.project = piece.project }
            lock.stages.merge(piece.stages) { _, later in later }
        }
        return lock
    }

    /// Parses the whole lines of `bytes[range]`, the first of which is line `firstLine` of `file`.
    private static func parsePiece(_ bytes: [UInt8], _ range: Range<Int>, firstLine: Int, file: String)
        -> Result<Lockfile, PlanningError>
    {
        Result { try parseLines(bytes, range, firstLine: firstLine, file: file) }.mapError { error in
            error as? PlanningError ?? PlanningError(.invalidLock, "\(file): \(error)", remedy: "restore the lock from git")
        }
    }

    private static func parseLines(_ bytes: [UInt8], _ range: Range<Int>, firstLine: Int, file: String) throws -> Lockfile {
        var lock = Lockfile(project: "")
        var current: (id: StageID, fields: [String: JSONValue], line: Int)?
        var paramsText = ""
        func fail(_ line: Int, _ message: String) -> PlanningError {
            PlanningError(
                .invalidLock, "\(file):\(line): \(message)",
                remedy: "the lock is written by `lunette run`; restore it from git or delete it and re-run")
        }
        func finish() throws {
            guard let (id, fields, line) = current else { return }
            lock.stages[id] = try LockEntry(fields: fields, paramsText: paramsText, orFail: { fail(line, $0) })
            current = nil
            paramsText = ""
        }
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), colon = UInt8(ascii: ":")
        var lineStart = range.lowerBound
        var number = firstLine - 1
        while lineStart <= range.upperBound {
            let lineEnd = bytes[lineStart..<range.upperBound].firstIndex(of: UInt8(ascii: "\n")) ?? range.upperBound
            defer { lineStart = lineEnd + 1 }
            number += 1
            let raw = bytes[lineStart..<lineEnd]
            func text(_ slice: ArraySlice<UInt8>) -> String { String(decoding: slice, as: UTF8.self) }
            func starts(_ prefix: String) -> Bool { raw.starts(with: prefix.utf8) }
            if raw.first == UInt8(ascii: "#") {
                let line = text(raw)
                if let range = line.range(of: "for project "), let colon = line[range.upperBound...].firstIndex(of: ":") {
                    lock.project = String(line[range.upperBound..<colon])
                }
                continue
            }
            if raw.allSatisfy({ $0 == space || $0 == tab }) || raw.elementsEqual("stages:".utf8) { continue }
            if starts("version: ") {
                let value = text(raw.dropFirst(9))
                guard Int(value) == formatVersion else {
                    throw fail(number, "unsupported lock version '\(value)' (this Lunette reads version \(formatVersion))")
                }
                continue
            }
            if starts("  "), !starts("    "), raw.last == colon {
                try finish()
                guard let value = try? JSONValue.parse(Data(raw.dropFirst(2).dropLast())), let text = value.stringValue,
                    let id = StageID(text)
                else { throw fail(number, "expected a stage id like \"project/run/stage\"") }
                current = (id, [:], number)
                continue
            }
            if starts("    "), current != nil, let colonIndex = raw.firstIndex(of: colon) {
                let field = text(raw[(raw.startIndex + 4)..<colonIndex].filter { $0 != space })
                let valueBytes = raw[(colonIndex + 1)...].drop { $0 == space }
                if field == "params" {
                    // Kept as written (it is canonical JSON): parsed only when a plan explains a change.
                    guard valueBytes.first == UInt8(ascii: "{"), valueBytes.last == UInt8(ascii: "}") else {
                        throw fail(number, "the value of 'params' is not a JSON object")
                    }
                    paramsText = text(valueBytes)
                    continue
                }
                guard let value = try? JSONValue.parse(Data(valueBytes)) else {
                    throw fail(number, "the value of '\(field)' is not valid JSON")
                }
                current?.fields[field] = value
                continue
            }
            throw fail(number, "unexpected line '\(text(raw).prefix(60))'")
        }
        try finish()
        return lock
    }
}

/// One stage's entry in the lock: its action key, the key's parts, and its outputs.
///
/// The parameters are kept as their canonical JSON text, so a lock is parsed and rewritten without
/// decoding and re-encoding every stage's parameters; ``parts`` decodes them when a plan needs to
/// say what changed.
public struct LockEntry: Hashable, Sendable {
    public var key: ContentHash
    public var task: String
    public var version: Int
    /// The parameters' canonical JSON text.
    public var paramsText: String
    public var inputs: [String: ContentHash]
    public var outputs: [String: LockedOutput]

    public init(key: ContentHash, parts: ActionKeyParts, outputs: [String: LockedOutput]) {
        self.key = key
        self.task = parts.task
        self.version = parts.version
        self.paramsText = JSONValue.object(parts.params).canonicalText
        self.inputs = parts.inputs
        self.outputs = outputs
    }

    /// The parts the key was computed from (parameters decoded from ``paramsText``).
    public var parts: ActionKeyParts {
        let params = (try? JSONValue.parse(paramsText))?.objectValue ?? [:]
        return ActionKeyParts(task: task, version: version, params: params, inputs: inputs)
    }

    init(fields: [String: JSONValue], paramsText: String, orFail fail: (String) -> PlanningError) throws {
        guard let task = fields["task"]?.stringValue, let version = fields["version"]?.intValue,
            let keyText = fields["key"]?.stringValue, let key = ContentHash(parsing: keyText),
            !paramsText.isEmpty, let inputs = fields["inputs"]?.objectValue,
            let outputs = fields["outputs"]?.objectValue
        else { throw fail("a stage entry needs task, version, key, params, inputs and outputs") }
        var inputDigests: [String: ContentHash] = [:]
        for (name, value) in inputs {
            guard let digest = value.stringValue.flatMap(ContentHash.init(parsing:)) else {
                throw fail("input '\(name)' has no valid digest")
            }
            inputDigests[name] = digest
        }
        var locked: [String: LockedOutput] = [:]
        for (name, value) in outputs {
            guard let digest = value["digest"]?.stringValue.flatMap(ContentHash.init(parsing:)),
                let size = value["size"]?.intValue, let kind = value["kind"]?.stringValue
            else { throw fail("output '\(name)' needs digest, size and kind") }
            locked[name] = LockedOutput(digest: digest, size: Int64(size), kind: kind)
        }
        self.key = key
        self.task = task
        self.version = version
        self.paramsText = paramsText
        self.inputs = inputDigests
        self.outputs = locked
    }
}

/// An output as the lock records it.
public struct LockedOutput: Hashable, Sendable {
    public var digest: ContentHash
    public var size: Int64
    /// `file` or `directory`.
    public var kind: String

    public init(digest: ContentHash, size: Int64, kind: String) {
        self.digest = digest
        self.size = size
        self.kind = kind
    }
}
