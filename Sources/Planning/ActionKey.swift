import Basics

/// The parts an action key is computed from, kept so a plan can say what changed.
///
/// The key is SHA-256 over the canonical JSON of
/// `{"inputs":{name: digest},"params":{…},"task":id,"version":n}` (sorted keys, no whitespace,
/// fixed number format; see ``JSONValue/canonicalText``). Secrets never enter it: providers are
/// described by kind, URL and model, never by their credentials.
public struct ActionKeyParts: Hashable, Sendable {
    public var task: String
    public var version: Int
    public var params: [String: JSONValue]
    /// Input name → content digest.
    public var inputs: [String: ContentHash]

    public init(task: String, version: Int, params: [String: JSONValue], inputs: [String: ContentHash]) {
        self.task = task
        self.version = version
        self.params = params
        self.inputs = inputs
    }

    /// The canonical description that is hashed.
    public var canonicalValue: JSONValue {
        .object([
            "task": .string(task), "version": .int(version), "params": .object(params),
            "inputs": .object(inputs.mapValues { .string($0.description) }),
        ])
    }

    /// The action key.
    public var key: ContentHash { ContentHash.of(canonicalValue.canonicalText) }

    /// Sentences saying how `self` differs from `previous`, most telling first:
    /// "task version changed 1 → 2", "params.train.epochs changed 3 → 4", "input test_set changed (content)".
    public func differences(from previous: ActionKeyParts) -> [String] {
        var changes: [String] = []
        if task != previous.task { changes.append("task changed \(previous.task) → \(task)") }
        if version != previous.version { changes.append("task version changed \(previous.version) → \(version)") }
        for name in Set(inputs.keys).union(previous.inputs.keys).sorted() {
            switch (previous.inputs[name], inputs[name]) {
            case (nil, .some): changes.append("input \(name) added")
            case (.some, nil): changes.append("input \(name) removed")
            case (.some(let old), .some(let new)) where old != new: changes.append("input \(name) changed (content)")
            default: break
            }
        }
        ActionKeyParts.diff(.object(previous.params), .object(params), path: "params", into: &changes)
        return changes
    }

    static func diff(_ old: JSONValue, _ new: JSONValue, path: String, into changes: inout [String]) {
        if old == new { return }
        if case .object(let a) = old, case .object(let b) = new {
            for key in Set(a.keys).union(b.keys).sorted() {
                let child = "\(path).\(key)"
                switch (a[key], b[key]) {
                case (nil, .some(let value)): changes.append("\(child) added (\(short(value)))")
                case (.some(let value), nil): changes.append("\(child) removed (was \(short(value)))")
                case (.some(let x), .some(let y)): diff(x, y, path: child, into: &changes)
                default: break
                }
            }
            return
        }
        changes.append("\(path) changed \(short(old)) → \(short(new))")
    }

    static func short(_ value: JSONValue) -> String {
        let text = value.canonicalText
        return text.count > 40 ? String(text.prefix(37)) + "…" : text
    }
}
