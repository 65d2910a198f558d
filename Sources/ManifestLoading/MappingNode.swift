import Basics
import Yams

/// A YAML mapping from a manifest, read key by key: keys as strings, merge keys (`<<: *base`) expanded,
/// source order kept.
struct MappingNode {
    /// One `key: value` pair.
    struct Entry {
        let key: String
        let keyNode: Node
        let value: Node
        /// The key path of the value, e.g. `runs.a.train.epochs`.
        let keyPath: String
    }

    /// The key path of the mapping itself.
    let keyPath: String
    /// Where "missing key" errors point: the key that owns this mapping, or the mapping itself.
    let anchorNode: Node?
    let entries: [Entry]

    /// The entry for `key`.
    subscript(key: String) -> Entry? { entries.first { $0.key == key } }

    /// The keys present, in source order.
    var keys: [String] { entries.map(\.key) }
}

extension ManifestReader {
    /// Reads `node` as a mapping whose keys must be in `allowed` (nil allows any key).
    ///
    /// A null node (`train:` with nothing after it) is an empty mapping. Unknown keys are reported with a
    /// did-you-mean (or the list of valid keys) and left out of the result, so callers only see known keys.
    /// - Parameter owner: The node that owns the mapping (its key), where missing-key errors point.
    func mapping(_ node: Node, _ keyPath: String, allowed: [String]?, owner: Node? = nil) -> MappingNode? {
        if node.isNull {
            return MappingNode(keyPath: keyPath, anchorNode: owner ?? node, entries: [])
        }
        guard case .mapping(let pairs) = node else {
            error("expected a mapping, found \(node.kindDescription)", at: node, keyPath)
            return nil
        }
        var entries: [MappingNode.Entry] = []
        var merged: [MappingNode.Entry] = []
        for (keyNode, value) in pairs {
            if case .scalar(let scalar) = keyNode, keyNode.tagName == .merge, scalar.style == .plain {
                merged += mergedEntries(value, keyPath, allowed: allowed)
                continue
            }
            guard case .scalar(let scalar) = keyNode, !keyNode.isNull else {
                error("mapping keys must be plain names, found \(keyNode.kindDescription)", at: keyNode, keyPath)
                continue
            }
            let key = scalar.string
            if let allowed, !allowed.contains(key) {
                reportUnknownKey(key, at: keyNode, keyPath, allowed: allowed)
                continue
            }
            entries.append(MappingNode.Entry(key: key, keyNode: keyNode, value: value,
                                             keyPath: keyPath.appendingKey(key)))
        }
        // Keys written in the mapping win over keys merged in, as in YAML's merge-key convention.
        let written = Set(entries.map(\.key))
        var seenMerged: Set<String> = []
        for entry in merged where !written.contains(entry.key) && seenMerged.insert(entry.key).inserted {
            entries.append(entry)
        }
        return MappingNode(keyPath: keyPath, anchorNode: owner ?? node, entries: entries)
    }

    /// Reports an unknown key with a did-you-mean, or the list of valid keys when nothing is close.
    func reportUnknownKey(_ key: String, at keyNode: Node, _ keyPath: String, allowed: [String]) {
        let where_ = keyPath.isEmpty ? "at the top level" : "in '\(keyPath.lastKey)'"
        error(
            "unknown key '\(key)' \(where_)", at: keyNode, keyPath.appendingKey(key),
            hint: Suggestion.hint(for: key, in: allowed)
                ?? "valid keys are: \(allowed.joined(separator: ", "))")
    }

    /// The entries a merge key brings in: one mapping, or a list of mappings (earlier ones win).
    private func mergedEntries(_ value: Node, _ keyPath: String, allowed: [String]?) -> [MappingNode.Entry] {
        let sources: [Node]
        switch value {
        case .mapping: sources = [value]
        case .sequence(let items): sources = Array(items)
        default:
            error("a merge key ('<<') needs a mapping or a list of mappings, found \(value.kindDescription)",
                  at: value, keyPath.appendingKey("<<"))
            return []
        }
        var result: [MappingNode.Entry] = []
        for source in sources {
            guard case .mapping = source else {
                error("a merge key ('<<') needs mappings, found \(source.kindDescription)",
                      at: source, keyPath.appendingKey("<<"))
                continue
            }
            if let mapping = mapping(source, keyPath, allowed: allowed) { result += mapping.entries }
        }
        return result
    }

    /// Reports `key` missing from `mapping`.
    func reportMissing(_ key: String, in mapping: MappingNode, hint: String? = nil) {
        let owner = mapping.keyPath.isEmpty ? "the manifest" : "'\(mapping.keyPath.lastKey)'"
        error("missing required key '\(key)' in \(owner)", at: mapping.anchorNode, mapping.keyPath.appendingKey(key),
              hint: hint)
    }
}
