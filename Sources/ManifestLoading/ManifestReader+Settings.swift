import Basics
import WorkflowModel
import Yams

extension ManifestReader {
    /// Reads `train:` (in a run or in `defaults`), type-checking every known key against the limits the
    /// train stage itself enforces (`TrainSettings.init(params:environment:)` in `TaskTypes`), so a value it
    /// would refuse is refused here, at load, with a location. Values are kept as written; the train task
    /// owns their defaults. Keep the two in step (a test feeds both the same values).
    /// - Parameter labels: The metric's labels, to check `class_weights` keys; nil in `defaults`.
    func readTrain(_ entry: MappingNode.Entry, labels: [String]?) -> [String: JSONValue] {
        guard let map = mapping(entry.value, entry.keyPath, allowed: ManifestSchema.trainKeys, owner: entry.keyNode)
        else { return [:] }
        var settings: [String: JSONValue] = [:]
        for item in map.entries {
            let (node, path) = (item.value, item.keyPath)
            func within(_ range: ClosedRange<Double>, _ rule: String) -> JSONValue? {
                number(node, path, rule: rule) { range.contains($0) }.map { _ in node.jsonValue }
            }
            let value: JSONValue?
            switch item.key {
            case "mode": value = choice(["auto", "head", "full"], node, path).map(JSONValue.string)
            case "cv_folds": value = cvFolds(node, path)
            case "threshold": value = thresholdPolicy(node, path)
            case "pooling": value = choice(["mean", "cls"], node, path).map(JSONValue.string)
            case "epochs", "patience": value = int(node, path, in: 1...1_000).map(JSONValue.int)
            case "batch_size": value = int(node, path, in: 1...4_096).map(JSONValue.int)
            case "threads": value = int(node, path, in: 1...256).map(JSONValue.int)
            case "max_tokens": value = int(node, path, in: 8...512).map(JSONValue.int)
            case "seed": value = int(node, path).map(JSONValue.int)
            case "seeds": value = int(node, path, in: 1...10).map(JSONValue.int)
            case "learning_rate": value = within(1e-9...1, "between 1.0e-9 and 1")
            case "warmup_ratio": value = within(0...1, "between 0 and 1")
            case "validation_fraction": value = within(0...0.5, "between 0 and 0.5")
            case "weight_decay": value = within(0...10, "between 0 and 10")
            case "dropout": value = within(0...0.9, "between 0 and 0.9")
            case "l2": value = within(1e-12...1e6, "between 1.0e-12 and 1.0e6")
            case "max_gradient_norm": value = within(1e-6...1e6, "between 1.0e-6 and 1.0e6")
            case "include_seeds": value = bool(node, path).map(JSONValue.bool)
            default: value = classWeights(item, labels: labels)
            }
            if let value { settings[item.key] = value }
        }
        return settings
    }

    /// Refuses `seeds` > 1 with `mode: head` in a run's merged `train:` (either may come from `defaults`),
    /// pointing at the run's `train:` key (or the run).
    func checkSeedsAndMode(_ train: [String: JSONValue], at node: Node, _ keyPath: String) {
        guard train["mode"] == "head", let seeds = train["seeds"]?.intValue, seeds > 1 else { return }
        error("seeds: \(seeds) needs mode full or auto: head mode's fit does not depend on the seed", at: node,
              keyPath, hint: "remove seeds, or set mode to full or auto")
    }

    /// `cv_folds:` `auto`, 0 (no cross-validation) or 2…20, as the train stage takes them.
    private func cvFolds(_ node: Node, _ keyPath: String) -> JSONValue? {
        if node.tagName == .str, node.string == "auto" { return "auto" }
        guard node.tagName == .int, let folds = node.int, folds == 0 || (2...20).contains(folds) else {
            error("cv_folds must be auto, 0 (off) or an integer between 2 and 20, found \(node.string ?? node.kindDescription)",
                  at: node, keyPath)
            return nil
        }
        return .int(folds)
    }

    /// `threshold:` `macro_f1`, `f1`, `none`, `{target_precision: P}` or `{target_recall: R}` (0 < P, R ≤ 1).
    private func thresholdPolicy(_ node: Node, _ keyPath: String) -> JSONValue? {
        if case .scalar = node {
            return choice(["macro_f1", "f1", "none"], node, keyPath).map(JSONValue.string)
        }
        guard let map = mapping(node, keyPath, allowed: ["target_precision", "target_recall"]) else { return nil }
        guard map.entries.count == 1, let entry = map.entries.first else {
            error("threshold takes one target: target_precision or target_recall", at: node, keyPath,
                  hint: "e.g. threshold: {target_precision: 0.9}")
            return nil
        }
        return number(entry.value, entry.keyPath, rule: "greater than 0 and at most 1", where: { $0 > 0 && $0 <= 1 })
            .map { .object([entry.key: .double($0)]) }
    }

    /// `class_weights:` `auto`, `balanced`, `none`, a list of weights > 0 (one per label, in label order), or
    /// a mapping label → weight > 0. The train stage takes the list, so in a run (labels known) a mapping
    /// becomes that list and must weigh every label; in `defaults` it stays a mapping until
    /// ``classWeightList(_:labels:)`` turns it into a run's list.
    private func classWeights(_ entry: MappingNode.Entry, labels: [String]?) -> JSONValue? {
        switch entry.value {
        case .scalar:
            return choice(["auto", "balanced", "none"], entry.value, entry.keyPath).map(JSONValue.string)
        case .sequence(let items):
            var weights: [JSONValue] = []
            for (index, item) in items.enumerated() {
                guard number(item, entry.keyPath.appendingIndex(index), rule: "greater than 0", where: { $0 > 0 }) != nil
                else { return nil }
                weights.append(item.jsonValue)
            }
            if let labels, weights.count != labels.count {
                error("class_weights lists \(weights.count) weights for \(labels.count) labels", at: entry.value,
                      entry.keyPath, hint: "one weight per label, in order: \(labels.joined(separator: ", "))")
                return nil
            }
            return .array(weights)
        default:
            guard case .object(let weights)? = labelWeights(entry, labels: labels, positive: true) else { return nil }
            guard let labels else { return .object(weights) }
            if let missing = labels.first(where: { weights[$0] == nil }) {
                error("class_weights gives no weight for label '\(missing)'", at: entry.value, entry.keyPath,
                      hint: "weigh every label: \(labels.joined(separator: ", "))")
                return nil
            }
            return .array(labels.compactMap { weights[$0] })
        }
    }

    /// A run's `class_weights` as the train stage takes it: a mapping label → weight inherited from
    /// `defaults` becomes the list in label order; an inherited list must have one weight per label;
    /// nil (after an error at `node`) when it does not fit the run's labels. Other values pass as they are.
    func classWeightList(_ value: JSONValue, labels: [String], at node: Node, _ keyPath: String) -> JSONValue? {
        if case .array(let weights) = value, weights.count != labels.count {
            error("class_weights in defaults lists \(weights.count) weights for \(labels.count) labels", at: node, keyPath,
                  hint: "one weight per label, in order: \(labels.joined(separator: ", ")), or set class_weights in the run's own train:")
            return nil
        }
        guard case .object(let weights) = value else { return value }
        if let unknown = weights.keys.sorted().first(where: { !labels.contains($0) }) {
            error("class_weights in defaults weighs '\(unknown)', which is not one of the metric's labels", at: node,
                  keyPath, hint: "labels: \(labels.joined(separator: ", "))")
            return nil
        }
        if let missing = labels.first(where: { weights[$0] == nil }) {
            error("class_weights in defaults gives no weight for label '\(missing)'", at: node, keyPath,
                  hint: "weigh every label, or set class_weights in the run's own train:")
            return nil
        }
        return .array(labels.compactMap { weights[$0] })
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
