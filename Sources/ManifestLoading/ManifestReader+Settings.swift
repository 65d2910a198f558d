import Basics
import WorkflowModel
import Yams

extension ManifestReader {
    /// Reads a stage's settings section (`train:`, `gate:`, `split:`, `generate:`) through the schema its
    /// task type declares (``ManifestLoader/settings``), so a value the stage would refuse is refused here,
    /// at load, with its line, column and key path, and in the stage's own words: both run
    /// ``SettingsSchema/check(_:labels:rules:)``. Values are kept as written (a scalar where text is
    /// expected is read as its text); the task owns their defaults.
    ///
    /// A section with no schema (a task type that declares none) must be a mapping; its values are kept
    /// as written and the stage checks them when it runs.
    /// - Parameters:
    ///   - labels: The metric's labels, to check per-label lists and mappings; nil in `defaults`.
    ///   - rules: Whether to run the schema's cross-key rules here (not for a run's `train:`, whose rules
    ///     run on the merge with `defaults`, see ``checkMerged(_:section:labels:fromDefaults:at:_:)``).
    /// - Returns: The keys whose values are fine, and whether every key was.
    func readSettings(_ entry: MappingNode.Entry, section: String, labels: [String]?, rules: Bool = true)
        -> (settings: [String: JSONValue], valid: Bool)
    {
        readSettings(entry, schema: settingsSchemas[section], labels: labels, rules: rules)
    }

    /// Reads a settings mapping through `schema` (a `task:` stage's `settings:`), as
    /// ``readSettings(_:section:labels:rules:)`` reads a section.
    func readSettings(_ entry: MappingNode.Entry, schema: SettingsSchema?, labels: [String]?, rules: Bool = true)
        -> (settings: [String: JSONValue], valid: Bool)
    {
        guard let map = mapping(entry.value, entry.keyPath, allowed: schema?.names, owner: entry.keyNode) else {
            return ([:], false)
        }
        let errorsBefore = diagnostics.filter(\.isError).count
        var settings: [String: JSONValue] = [:]
        for item in map.entries {
            guard let schema, let parameter = schema[item.key] else {
                settings[item.key] = item.value.jsonValue
                continue
            }
            let value = Self.settingsValue(item.value, parameter.kind)
            let issues = schema.check(value, of: parameter, labels: labels)
            for issue in issues { report(issue, section: schema.section, under: item, entry) }
            if case .reference = parameter.kind, issues.isEmpty, providerReference(item.value, item.keyPath) == nil {
                continue
            }
            if issues.isEmpty { settings[item.key] = value }
        }
        if rules, diagnostics.filter(\.isError).count == errorsBefore, let schema {
            for issue in schema.check(.object(settings), labels: labels) where issue.isRule {
                error(issue.message, at: entry.keyNode, entry.keyPath + issue.path.map(\.description).joined(), hint: issue.hint)
            }
        }
        return (settings, diagnostics.filter(\.isError).count == errorsBefore)
    }

    /// Checks a run's section merged with `defaults`' (`train:`): keys inherited from `defaults` against
    /// the run's labels (`defaults` has none), then the schema's cross-key rules, each at `node` (the run's
    /// section key, or the run) under `keyPath`.
    /// - Returns: Whether the merged settings are fine.
    func checkMerged(
        _ merged: [String: JSONValue], section: String, labels: [String]?, fromDefaults: Set<String>, at node: Node,
        _ keyPath: String
    ) -> Bool {
        guard let schema = settingsSchemas[section] else { return true }
        var valid = true
        for key in fromDefaults.sorted() {
            guard let parameter = schema[key], let value = merged[key] else { continue }
            for issue in schema.check(value, of: parameter, labels: labels) {
                error("\(issue.message) (set in defaults.\(section))", at: node, keyPath + issue.path.map(\.description).joined(),
                      hint: issue.hint.map { "\($0), or set \(key) in the run's own \(section):" }
                          ?? "set \(key) in the run's own \(section):")
                valid = false
            }
        }
        guard valid else { return false }
        for issue in schema.check(.object(merged), labels: labels) where issue.isRule {
            error(issue.message, at: node, keyPath + issue.path.map(\.description).joined(), hint: issue.hint)
            valid = false
        }
        return valid
    }

    /// Reads `train:` (in a run or in `defaults`) through the train task's schema; its rules run on the
    /// run's merge with `defaults` (see ``checkMerged(_:section:labels:fromDefaults:at:_:)``).
    func readTrain(_ entry: MappingNode.Entry, labels: [String]?) -> [String: JSONValue] {
        readSettings(entry, section: "train", labels: labels, rules: false).settings
    }

    /// Reads `gate:` through the register task's schema: minimum scores between 0 and 1.
    func readGate(_ entry: MappingNode.Entry) -> [String: JSONValue] {
        readSettings(entry, section: "gate", labels: nil).settings
    }

    /// A value as a settings parameter reads it: YAML's own types, except that a scalar is its written
    /// text where the kind expects text (`instructions: 42` is the text `42`, `mode: 1` the word `1`).
    static func settingsValue(_ node: Node, _ kind: SettingsSchema.Kind) -> JSONValue {
        if kind.readsScalarsAsText, case .scalar(let scalar) = node, !node.isNull { return .string(scalar.string) }
        return node.jsonValue
    }

    /// Reports `issue` (its path starts at `item`'s key) at the node it names: the value, an item of a
    /// list, a key of a mapping (an unknown key's own node), or the section's key for a rule.
    private func report(_ issue: SettingsSchema.Issue, section: String, under item: MappingNode.Entry, _ entry: MappingNode.Entry) {
        var node = item.value
        var keyNode: Node?
        for step in issue.path.dropFirst() {
            switch (step, node) {
            case (.key(let key), .mapping(let pairs)):
                guard let pair = pairs.first(where: { $0.key.string == key }) else { break }
                (keyNode, node) = (pair.key, pair.value)
            case (.index(let index), .sequence(let items)) where items.indices.contains(index):
                (keyNode, node) = (nil, items[index])
            default: break
            }
        }
        let at = issue.isRule ? entry.keyNode : issue.isAboutKey ? (keyNode ?? node) : node
        error(issue.message, at: at, entry.keyPath + issue.path.map(\.description).joined(), hint: issue.hint)
    }
}
