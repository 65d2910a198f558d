import Basics
import Foundation
import WorkflowModel
import Yams

extension ManifestReader {
    /// What `defaults:` sets for every run, each value with the node that wrote it.
    struct Defaults {
        var baseModel: (name: String, node: Node)?
        var seed: Int?
        var provider: String?
        var train: [String: JSONValue] = [:]
        var gate: [String: JSONValue] = [:]
        var register: Bool?
        var split = SplitSettings()
    }

    /// Reads the whole manifest. Returns the project only when no error was found.
    func readProject(_ root: Node) -> Project? {
        guard let top = mapping(root, "", allowed: ManifestSchema.topLevelKeys) else { return nil }
        var projectName: String?
        if let entry = top["project"] {
            projectName = name(entry.value, entry.keyPath, pattern: ManifestSchema.projectNamePattern,
                               what: "project name")
            projectNameNode = entry.value
        } else {
            reportMissing("project", in: top, hint: "add 'project: <name>' naming the project, e.g. the file's name")
        }
        let description = top["description"].flatMap { string($0.value, $0.keyPath, allowEmpty: true) }
        let providers = top["providers"].map(readProviders) ?? [:]
        let defaults = top["defaults"].map(readDefaults) ?? Defaults()

        var runs: [Run] = []
        if let entry = top["runs"] {
            if let runsMapping = mapping(entry.value, entry.keyPath, allowed: nil, owner: entry.keyNode) {
                for runEntry in runsMapping.entries {
                    if let run = readRun(runEntry, defaults: defaults) { runs.append(run) }
                }
            }
        } else {
            reportMissing("runs", in: top, hint: "add a 'runs:' mapping with at least one run")
        }
        checkOutputClaims()

        guard !hasErrors, let projectName else { return nil }
        return Project(
            name: projectName, description: description, manifestPath: source.path, providers: providers,
            runs: runs.sorted { $0.name < $1.name })
    }

    /// Reads `defaults:`. Values are checked here once, so an error in a default is reported once, not per run.
    private func readDefaults(_ entry: MappingNode.Entry) -> Defaults {
        var defaults = Defaults()
        guard let map = mapping(entry.value, entry.keyPath, allowed: ManifestSchema.defaultsKeys, owner: entry.keyNode)
        else { return defaults }
        if let item = map["base_model"], let model = baseModel(item.value, item.keyPath) {
            defaults.baseModel = (model, item.value)
        }
        if let item = map["seed"] { defaults.seed = int(item.value, item.keyPath) }
        if let item = map["provider"] { defaults.provider = providerReference(item.value, item.keyPath) }
        if let item = map["register"] { defaults.register = bool(item.value, item.keyPath) }
        if let item = map["train"] { defaults.train = readTrain(item, labels: nil) }
        if let item = map["gate"] { defaults.gate = readGate(item) }
        if let item = map["split"] { defaults.split = readSplit(item) }
        return defaults
    }

    /// A `provider:` value: the name of a provider declared under `providers:`.
    func providerReference(_ node: Node, _ keyPath: String) -> String? {
        guard let name = string(node, keyPath) else { return nil }
        guard providerNames.contains(name) else {
            let declared = providerNames.sorted()
            error("unknown provider '\(name)'", at: node, keyPath,
                  hint: Suggestion.hint(for: name, in: declared)
                      ?? (declared.isEmpty ? "declare it under 'providers:'"
                          : "declared providers: \(declared.joined(separator: ", "))"))
            return nil
        }
        return name
    }

    /// A `base_model:` value: a name from ``BaseModel/catalog``, installed when a models folder is known.
    func baseModel(_ node: Node, _ keyPath: String) -> String? {
        guard let name = string(node, keyPath) else { return nil }
        let names = BaseModel.catalog.map(\.name)
        guard BaseModel.named(name) != nil else {
            error("unknown base model '\(name)'", at: node, keyPath,
                  hint: Suggestion.hint(for: name, in: names) ?? "available: \(names.joined(separator: ", "))")
            return nil
        }
        checkInstalled(name, at: node, keyPath)
        return name
    }

    /// Reports a base model whose files are missing from the models folder, once per model: an error,
    /// or for `lunette check` a warning that says its digest is taken from the lock.
    func checkInstalled(_ name: String, at node: Node?, _ keyPath: String) {
        guard let modelsDirectory, let model = BaseModel.named(name), checkedModels.insert(name).inserted else {
            return
        }
        let folder = modelsDirectory.appendingPathComponent(model.folder)
        let missing = model.requiredFiles.filter {
            !paths.facts.exists(folder.appendingPathComponent($0).path).exists
        }
        guard !missing.isEmpty else { return }
        if missingModelSeverity == .error {
            error("base model '\(name)' is not installed", at: node, keyPath,
                  hint: "install it with: \(model.installCommand)")
        } else {
            report(missingModelSeverity, "base model '\(name)' is not installed: its digest is taken from the lock",
                   at: node?.mark, keyPath: keyPath,
                   hint: "to run or verify stages, install it with: \(model.installCommand) "
                       + "(or set LUNETTE_MODELS to the folder that holds it)")
        }
    }
}
