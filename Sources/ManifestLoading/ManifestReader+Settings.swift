import Basics
import WorkflowModel
import Yams

extension ManifestReader {
    /// Reads `train:` (in a run or in `defaults`), type-checking every known key. Values are kept as
    /// written; the train task owns their defaults.
    /// - Parameter labels: The metric's labels, to check `class_weights` keys; nil in `defaults`.
    func readTrain(_ entry: MappingNode.Entry, labels: [String]?) -> [String: JSONValue] {
        guard let map = mapping(entry.value, entry.keyPath, allowed: ManifestSchema.trainKeys, owner: entry.keyNode)
        else { return [:] }
        var settings: [String: JSONValue] = [:]
        for item in map.entries {
            let (node, path) = (item.value, item.keyPath)
            let value: JSONValue?
            switch item.key {
            case "mode": value = choice(["head", "full"], node, path).map(JSONValue.string)
            case "pooling": value = choice(["mean", "cls"], node, path).map(JSONValue.string)
            case "epochs", "batch_size", "threads": value = int(node, path, in: 1...Int.max).map(JSONValue.int)
            case "max_tokens": value = int(node, path, in: 8...512).map(JSONValue.int)
            case "seed": value = int(node, path).map(JSONValue.int)
            case "learning_rate":
                value = number(node, path, rule: "greater than 0 and at most 1") { $0 > 0 && $0 <= 1 }
                    .map { _ in node.jsonValue }
            case "warmup_ratio", "validation_fraction":
                value = number(node, path, rule: "at least 0 and less than 1") { $0 >= 0 && $0 < 1 }
                    .map { _ in node.jsonValue }
            case "weight_decay":
                value = number(node, path, rule: "at least 0") { $0 >= 0 }.map { _ in node.jsonValue }
            case "dropout":
                value = number(node, path, rule: "at least 0 and less than 1") { $0 >= 0 && $0 < 1 }
                    .map { _ in node.jsonValue }
            case "l2", "max_gradient_norm":
                value = number(node, path, rule: "greater than 0") { $0 > 0 }.map { _ in node.jsonValue }
            case "patience": value = int(node, path, in: 1...Int.max).map(JSONValue.int)
            case "include_seeds": value = bool(node, path).map(JSONValue.bool)
            default: value = classWeights(item, labels: labels)
            }
            if let value { settings[item.key] = value }
        }
        return settings
    }

    /// `class_weights:` `balanced`, `none`, or a mapping label → weight.
    private func classWeights(_ entry: MappingNode.Entry, labels: [String]?) -> JSONValue? {
        if case .scalar = entry.value {
            return choice(["balanced", "none"], entry.value, entry.keyPath).map(JSONValue.string)
        }
        return labelWeights(entry, labels: labels)
    }

    /// Reads `gate:`: minimum scores between 0 and 1 that a run must reach to be registered.
    func readGate(_ entry: MappingNode.Entry) -> [String: JSONValue] {
        guard let map = mapping(entry.value, entry.keyPath, allowed: ManifestSchema.gateKeys, owner: entry.keyNode)
        else { return [:] }
        var gate: [String: JSONValue] = [:]
        for item in map.entries {
            if number(item.value, item.keyPath, rule: "between 0 and 1", where: { (0...1).contains($0) }) != nil {
                gate[item.key] = item.value.jsonValue
            }
        }
        return gate
    }
}
