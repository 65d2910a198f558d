import Basics
import WorkflowModel
import Yams

extension ManifestReader {
    /// Reads a data file reference: `PATH`, or `{path, columns: {canonical_field: file_column}}` (plus
    /// `labelled` for uploads). The file must exist, inside the workspace, with one of `extensions`.
    func readDataset(_ entry: MappingNode.Entry, extensions: [String], allowsLabelled: Bool = false)
        -> (source: DatasetSource, labelled: Bool)?
    {
        var pathNode = entry.value
        var pathKey = entry.keyPath
        var columns: [String: String] = [:]
        var labelled = true
        var failed = false
        if case .mapping = entry.value {
            let keys = allowsLabelled ? ManifestSchema.uploadKeys : ManifestSchema.datasetKeys
            guard let map = mapping(entry.value, entry.keyPath, allowed: keys, owner: entry.keyNode) else { return nil }
            guard let path = map["path"] else {
                reportMissing("path", in: map, hint: "the file's path, relative to the manifest")
                return nil
            }
            (pathNode, pathKey) = (path.value, path.keyPath)
            if let item = map["columns"] {
                if let mapped = readColumns(item) { columns = mapped } else { failed = true }
            }
            if let item = map["labelled"] {
                if let value = bool(item.value, item.keyPath) { labelled = value } else { failed = true }
            }
        }
        guard let path = existingFile(pathNode, pathKey, extensions: extensions), !failed else { return nil }
        reads.append(ReadPath(path: path, keyPath: pathKey, location: source.location(of: pathNode), isStageInput: false))
        return (DatasetSource(path: path, columns: columns, location: source.location(of: pathNode)), labelled)
    }

    /// `columns:` canonical field → the file's own column name.
    private func readColumns(_ entry: MappingNode.Entry) -> [String: String]? {
        guard let map = mapping(entry.value, entry.keyPath, allowed: nil, owner: entry.keyNode) else { return nil }
        var columns: [String: String] = [:]
        var failed = false
        for item in map.entries {
            guard ManifestSchema.canonicalFields.contains(item.key) else {
                error("unknown field '\(item.key)' in 'columns'", at: item.keyNode, item.keyPath,
                      hint: Suggestion.hint(for: item.key, in: ManifestSchema.canonicalFields)
                          ?? "the fields are: \(ManifestSchema.canonicalFields.joined(separator: ", ")); "
                          + "write 'field: column_in_your_file'")
                failed = true
                continue
            }
            if let column = string(item.value, item.keyPath) { columns[item.key] = column } else { failed = true }
        }
        return failed ? nil : columns
    }

    /// A path value that resolves inside the workspace to an existing regular file with a known extension.
    func existingFile(_ node: Node, _ keyPath: String, extensions: [String]) -> String? {
        guard let path = resolvedPath(node, keyPath) else { return nil }
        let suffix = path.split(separator: "/").last?.split(separator: ".").dropFirst().last.map { $0.lowercased() }
        guard let suffix, extensions.contains(suffix) else {
            error("unsupported file type for '\(path)'", at: node, keyPath,
                  hint: "use a " + extensions.map { "." + $0 }.joined(separator: " or ") + " file")
            return nil
        }
        let state = paths.exists(path)
        guard state.exists else {
            error("file not found: \(path)", at: node, keyPath, hint: "paths are relative to the manifest's folder")
            return nil
        }
        guard !state.isDirectory else {
            error("'\(path)' is a folder, expected a file", at: node, keyPath)
            return nil
        }
        return path
    }

    /// A path value made workspace-relative, or nil after reporting why it cannot be used.
    /// - Parameter isOutput: Whether a stage writes (so first deletes) the path, for the message.
    func resolvedPath(_ node: Node, _ keyPath: String, isOutput: Bool = false) -> String? {
        guard let written = string(node, keyPath) else { return nil }
        switch paths.resolve(written) {
        case .success(let path): return path
        case .failure(.workspaceRoot) where isOutput:
            error("output '\(written)' is the workspace root", at: node, keyPath, hint: OutputClaim.deletionHint)
        case .failure(.workspaceRoot):
            error("'\(written)' is the workspace root, not a file inside it", at: node, keyPath,
                  hint: "paths are relative to the manifest's folder")
        case .failure(.nulByte):
            error("a path must not contain a NUL byte", at: node, keyPath, hint: "remove the \\0 from the path")
        case .failure(.escapesWorkspace):
            error("path escapes the workspace: \(written)", at: node, keyPath,
                  hint: "paths are relative to the manifest's folder and must stay inside the workspace")
        case .failure(.symlinkLeavesWorkspace(let link, let destination)):
            error("path escapes the workspace through a symlink: \(written) (\(link) -> \(destination))", at: node,
                  keyPath, hint: "copy the file into the workspace instead of linking to it, or point the symlink "
                      + "at a place inside the workspace")
        case .failure(.empty):
            error("expected a path, found an empty one", at: node, keyPath)
        }
        return nil
    }

    /// Reads `training_set:`: exactly one of `upload`, `generate` or `import`. Checks that a judge
    /// provider exists when the rows need labelling or writing.
    func readTrainingSet(_ entry: MappingNode.Entry, metric: Metric?, runProvider: String?) -> TrainingSet? {
        guard let map = mapping(entry.value, entry.keyPath, allowed: ManifestSchema.trainingSetKinds,
                                owner: entry.keyNode)
        else { return nil }
        guard let first = map.entries.first else {
            reportMissing("upload", in: map, hint: "a training set is one of 'upload: PATH', 'generate: {...}' "
                          + "or 'import: PATH'")
            return nil
        }
        for extra in map.entries.dropFirst() {
            error("a training set takes exactly one of 'upload', 'generate' or 'import'; '\(first.key)' is "
                  + "already given", at: extra.keyNode, extra.keyPath)
        }
        guard map.entries.count == 1 else { return nil }
        let trainingSet: TrainingSet?
        var ownProvider: String?
        switch first.key {
        case "upload":
            trainingSet = readDataset(first, extensions: ["csv", "jsonl"], allowsLabelled: true)
                .map { .upload($0.source, labelled: $0.labelled) }
        case "import":
            trainingSet = readDataset(first, extensions: ["csv", "jsonl", "json"]).map { .importTraces($0.source) }
        default:
            let settings = readGenerate(first, labels: metric?.labels)
            ownProvider = settings?["provider"]?.stringValue
            trainingSet = settings.map { .generate($0) }
        }
        if let trainingSet, trainingSet.needsJudge, runProvider == nil, ownProvider == nil {
            error("the '\(first.key)' training set needs a provider for the judge, and the run has none",
                  at: first.keyNode, first.keyPath,
                  hint: providerNames.isEmpty ? "declare one under 'providers:' and name it with 'provider:'"
                      : "set 'provider:' on the run or in 'defaults'")
        }
        return trainingSet
    }

    /// `generate:` settings, checked through the generate task's schema and kept as written; nil when
    /// any is wrong.
    private func readGenerate(_ entry: MappingNode.Entry, labels: [String]?) -> [String: JSONValue]? {
        let read = readSettings(entry, section: "generate", labels: labels)
        return read.valid ? read.settings : nil
    }
}

extension TrainingSet {
    /// Whether the rows are written or labelled by the judge, so the run needs a provider and a prompt.
    var needsJudge: Bool {
        switch self {
        case .upload(_, let labelled): return !labelled
        case .generate, .importTraces: return true
        }
    }
}
