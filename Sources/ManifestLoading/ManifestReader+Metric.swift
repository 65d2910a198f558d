import Basics
import WorkflowModel
import Yams

extension ManifestReader {
    /// Reads `metric:`: a preset name, or `{name, prompt, output, labels, step, input}`, optionally
    /// starting from `preset:` and overriding some fields.
    func readMetric(_ entry: MappingNode.Entry) -> Metric? {
        if case .scalar = entry.value { return presetMetric(entry.value, entry.keyPath) }
        guard let map = mapping(entry.value, entry.keyPath, allowed: ManifestSchema.metricKeys, owner: entry.keyNode)
        else { return nil }
        var failed = false
        func check<T>(_ value: T?) -> T? {
            if value == nil { failed = true }
            return value
        }

        var base: Metric?
        if let item = map["preset"] { base = check(presetMetric(item.value, item.keyPath)) }
        var name = base?.name
        if let item = map["name"] {
            name = check(self.name(item.value, item.keyPath, pattern: ManifestSchema.metricNamePattern,
                                   what: "metric name"))
        } else if base == nil && !failed {
            reportMissing("name", in: map, hint: "a name for the metric, e.g. name: brand_voice")
            failed = true
        }
        var prompt = base?.prompt
        if let item = map["prompt"] { prompt = check(string(item.value, item.keyPath)) }
        var output = base?.output
        if let item = map["output"] {
            output = check(choice(MetricOutput.self, item.value, item.keyPath))
        } else if base == nil && !failed {
            reportMissing("output", in: map, hint: "output: boolean, or output: categorical with labels")
            failed = true
        }
        let step = map["step"].map { check(choice(MetricStep.self, $0.value, $0.keyPath)) } ?? base?.step ?? .llmSpan
        let input = map["input"].map { check(choice(InputFormat.self, $0.value, $0.keyPath)) }
            ?? base?.input ?? .message

        var labels: [String]?
        if let item = map["labels"] {
            labels = check(readLabels(item, output: output))
        } else if let output, output == base?.output {
            labels = base?.labels
        } else if output == .categorical {
            reportMissing("labels", in: map, hint: "a categorical metric needs at least two labels, e.g. [on_brand, off_brand]")
            failed = true
        }
        guard !failed, let name, let output, let step, let input else { return nil }
        return Metric(
            name: name, preset: base?.preset, prompt: prompt, output: output, labels: labels, step: step, input: input)
    }

    /// A preset named by `node`, with a did-you-mean.
    private func presetMetric(_ node: Node, _ keyPath: String) -> Metric? {
        guard let name = string(node, keyPath) else { return nil }
        guard let preset = MetricPreset.named(name) else {
            error("unknown metric preset '\(name)'", at: node, keyPath,
                  hint: Suggestion.hint(for: name, in: MetricPreset.names)
                      ?? "presets: \(MetricPreset.names.joined(separator: ", ")); or write {name, prompt, output, labels}")
            return nil
        }
        return preset.metric
    }

    /// `labels:`: distinct non-empty strings; two for a boolean metric (false first), two or more for a
    /// categorical one.
    private func readLabels(_ entry: MappingNode.Entry, output: MetricOutput?) -> [String]? {
        guard let items = sequence(entry.value, entry.keyPath) else { return nil }
        var labels: [String] = []
        var failed = false
        for (index, item) in items.enumerated() {
            guard let label = string(item, entry.keyPath.appendingIndex(index)) else {
                failed = true
                continue
            }
            if labels.contains(label) {
                error("label '\(label)' is listed twice", at: item, entry.keyPath.appendingIndex(index))
                failed = true
            }
            labels.append(label)
        }
        if failed { return nil }
        switch output {
        case .boolean?:
            guard labels.count == 2 else {
                error("a boolean metric has exactly two labels (the false one first), found \(labels.count)",
                      at: entry.value, entry.keyPath)
                return nil
            }
        case .categorical?:
            guard labels.count >= 2 else {
                error("a categorical metric needs at least two distinct labels, found \(labels.count)",
                      at: entry.value, entry.keyPath)
                return nil
            }
        case nil: break
        }
        return labels
    }
}
