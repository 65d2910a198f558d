import Basics
import WorkflowModel
import Yams

extension ManifestReader {
    /// A custom stage's input path that is neither on disk yet nor known to be written by a stage; it is
    /// checked once every run of the manifest is read.
    struct PendingInput {
        let path: String
        let node: Node
        let keyPath: String
    }

    /// Reads a run's `stages:`: custom stages, name → `{command, inputs, outputs, after}` (a shell
    /// command, run by `exec`) or `{task, inputs, settings, outputs, after, feeds}` (a registered task type).
    ///
    /// Checks names (not built-in ones), `after:` and `@stage.output` references (stages of this run),
    /// output paths (inside the workspace, each listed once), a `task:` stage against what its task type
    /// declares (its id registered, its settings through its schema, its inputs by name, `feeds:` naming an
    /// input of another stage), and that no stages form a cycle, whether it runs through `after:`, `@`
    /// references, one stage reading a path another writes, or a `feeds:` into a stage the feeder reads from.
    func readStages(_ entry: MappingNode.Entry, run: String, builtins: [String], labels: [String]?) -> [CustomStage] {
        guard let map = mapping(entry.value, entry.keyPath, allowed: nil, owner: entry.keyNode) else { return [] }
        let customNames = map.keys.filter { !Pipeline.builtin.stageNames.contains($0) }
        var stages: [CustomStage] = []
        var graph = DirectedGraph<String>()
        var keyNodes: [String: Node] = [:]
        var inputPaths: [(stage: String, path: String)] = []
        var outputPaths: [(stage: String, path: String)] = []
        // What the run order guarantees, as `StageExpansion` wires it: stage → the custom stages it runs
        // directly after (`after:`, `@stage.output`, an input equal to their output). A file inside
        // another's folder output orders nothing at run time, though it counts for the cycle check.
        var runsAfter: [String: Set<String>] = [:]
        var stageReads: [ReadPath] = []
        // Built-in stages' edges, for cycles through a `feeds:`; a fed input's own edge is replaced.
        var builtinEdges: [(from: String, to: String, input: String)] = []
        for (index, name) in builtins.enumerated() {
            graph.add(name)
            for (input, source) in Pipeline.builtin.stage(named: name)?.inputs ?? [:] {
                switch source {
                case .stage(let producer, _) where builtins.contains(producer):
                    builtinEdges.append((producer, name, input))
                case .previous where index > 0: builtinEdges.append((builtins[index - 1], name, input))
                default: break
                }
            }
        }
        var fed: [String: String] = [:]  // "stage.input" → the custom stage feeding it
        let names = builtins + customNames
        // The input names of each `task:` stage, which another stage's `feeds:` may name.
        var taskStageInputs: [String: [String]] = [:]
        for item in map.entries where customNames.contains(item.key) {
            guard case .mapping(let pairs) = item.value,
                  let task = pairs.first(where: { $0.key.string == "task" })?.value.string
            else { continue }
            var inputs = taskDeclarations[task]?.inputs ?? []
            if case .mapping(let listed)? = pairs.first(where: { $0.key.string == "inputs" })?.value {
                inputs += listed.compactMap { $0.key.string }.filter { !inputs.contains($0) }
            }
            taskStageInputs[item.key] = inputs
        }

        /// One input: `@stage.output` (ordering the stage after a custom producer) or a path.
        func readInput(_ node: Node, _ path: String, stage: String) -> StageInput? {
            guard let text = string(node, path) else { return nil }
            if text.hasPrefix("@") {
                guard let reference = stageReference(text, node, path, names: names) else { return nil }
                graph.addEdge(from: reference.stage, to: stage)
                if customNames.contains(reference.stage) { runsAfter[stage, default: []].insert(reference.stage) }
                return .output(stage: reference.stage, output: reference.output)
            }
            guard let resolved = resolvedPath(node, path) else { return nil }
            inputPaths.append((stage, resolved))
            stageReads.append(ReadPath(
                path: resolved, keyPath: path, location: source.location(of: node), isStageInput: true,
                stage: StageName(run: run, name: stage), sourceLine: node.mark.flatMap { source.line($0.line) }))
            if !paths.exists(resolved).exists {
                pendingInputs.append(PendingInput(path: resolved, node: node, keyPath: path))
            }
            return .path(resolved)
        }

        for item in map.entries {
            guard name(item.keyNode, item.keyPath, pattern: ManifestSchema.stageNamePattern, what: "stage name") != nil
            else { continue }
            if Pipeline.builtin.stageNames.contains(item.key) {
                error("'\(item.key)' is a built-in stage; a custom stage needs another name", at: item.keyNode,
                      item.keyPath, hint: "built-in stages: \(Pipeline.builtin.stageNames.joined(separator: ", "))")
                continue
            }
            keyNodes[item.key] = item.keyNode
            graph.add(item.key)
            guard let stageMap = mapping(item.value, item.keyPath, allowed: ManifestSchema.stageKeys, owner: item.keyNode)
            else { continue }
            var after: String?
            if let value = stageMap["after"], let text = string(value.value, value.keyPath) {
                if names.contains(text) {
                    after = text
                    graph.addEdge(from: text, to: item.key)
                    if customNames.contains(text) { runsAfter[item.key, default: []].insert(text) }
                } else {
                    error("run '\(run)' has no stage '\(text)'", at: value.value, value.keyPath,
                          hint: Suggestion.hint(for: text, in: names) ?? "stages: \(names.joined(separator: ", "))")
                }
            }
            if stageMap["task"] != nil {
                if let stage = readTaskStage(
                    item, stageMap, run: run, names: names, builtins: builtins, taskStageInputs: taskStageInputs,
                    labels: labels, after: after, readInput: readInput)
                {
                    if let feed = stage.feeds {
                        let target = "\(feed.stage).\(feed.input)"
                        if let other = fed[target] {
                            error("'\(target)' is already fed by stage '\(other)'", at: stageMap["feeds"]?.value,
                                  item.keyPath.appendingKey("feeds"), hint: "one stage may feed an input; chain them instead")
                        } else {
                            fed[target] = item.key
                            graph.addEdge(from: item.key, to: feed.stage)
                            if customNames.contains(feed.stage) { runsAfter[feed.stage, default: []].insert(item.key) }
                        }
                    }
                    stages.append(stage)
                }
                continue
            }
            for key in ["settings", "feeds"] where stageMap[key] != nil {
                error("'\(key)' is for a stage that names a task type (task:), not a command", at: stageMap[key]?.keyNode,
                      item.keyPath.appendingKey(key), hint: "write task: <id> instead of command:, or remove \(key):")
            }

            var command: String?
            if let value = stageMap["command"] { command = string(value.value, value.keyPath) } else {
                reportMissing("command", in: stageMap, hint: "the shell command to run, e.g. command: python3 prep.py, or task: <id> for a registered task type")
            }
            var inputs: [StageInput] = []
            if let value = stageMap["inputs"], let items = sequence(value.value, value.keyPath) {
                for (index, node) in items.enumerated() {
                    if let input = readInput(node, value.keyPath.appendingIndex(index), stage: item.key) {
                        inputs.append(input)
                    }
                }
            }
            var outputs: [String] = []
            if let value = stageMap["outputs"], let items = sequence(value.value, value.keyPath) {
                for (index, node) in items.enumerated() {
                    let path = value.keyPath.appendingIndex(index)
                    guard let resolved = resolvedPath(node, path, isOutput: true) else { continue }
                    if let (relation, protected) = protectedOverlap(resolved) {
                        error("output '\(resolved)' \(relation) \(protected.what)", at: node, path,
                              hint: OutputClaim.deletionHint)
                        continue
                    }
                    outputs.append(resolved)
                    outputPaths.append((item.key, resolved))
                    outputClaims.append(OutputClaim(
                        path: resolved, location: source.location(of: node),
                        sourceLine: node.mark.flatMap { source.line($0.line) }, keyPath: path,
                        owner: "stage '\(item.key)' of run '\(run)'", project: nil,
                        stage: StageName(run: run, name: item.key)))
                }
            }
            if let command {
                stages.append(CustomStage(
                    name: item.key, command: command, inputs: inputs, outputs: outputs, after: after,
                    location: source.location(of: item.keyNode)))
            }
        }
        for edge in builtinEdges where fed["\(edge.to).\(edge.input)"] == nil {
            graph.addEdge(from: edge.from, to: edge.to)
        }
        // A stage reading a path another writes (or a file inside a folder it writes) runs after it.
        for input in inputPaths {
            for output in outputPaths where input.path == output.path || input.path.hasPrefix(output.path + "/") {
                graph.addEdge(from: output.stage, to: input.stage)
                if input.path == output.path { runsAfter[input.stage, default: []].insert(output.stage) }
            }
        }
        var upstream: [String: Set<String>] = [:]
        for index in stageReads.indices {
            guard let stage = stageReads[index].stage?.name else { continue }
            if upstream[stage] == nil { upstream[stage] = Self.transitive(runsAfter, from: stage) }
            stageReads[index].upstream = upstream[stage] ?? []
        }
        reads += stageReads
        if case .failure(let cycle) = graph.topologicalOrder() {
            let first = cycle.path.first { customNames.contains($0) } ?? cycle.path.first ?? ""
            let onlyCustom = cycle.path.allSatisfy { customNames.contains($0) }
            error("\(onlyCustom ? "custom stages" : "stages") form a cycle: \(cycle.path.joined(separator: " → "))",
                  at: keyNodes[first], entry.keyPath.appendingKey(first),
                  hint: onlyCustom ? "remove one of the 'after:', '@stage' or path links"
                      : "a stage that feeds another cannot read what that stage, or a stage after it, writes")
        }
        return stages.sorted { $0.name < $1.name }
    }

    /// Reads a `task:` stage: the task type must be registered and not a built-in stage's; `inputs:` is a
    /// mapping of the names it declares to `@stage.output` or a path; `settings:` goes through its schema;
    /// `outputs:` are the names it declares (or, for a type that declares none, the names listed);
    /// `feeds: stage.input` names an input of another stage of the run that takes this stage's output
    /// of the same name (or its only output) instead of its own.
    private func readTaskStage(
        _ item: MappingNode.Entry, _ stageMap: MappingNode, run: String, names: [String], builtins: [String],
        taskStageInputs: [String: [String]], labels: [String]?, after: String?,
        readInput: (Node, String, String) -> StageInput?
    ) -> CustomStage? {
        let errorsBefore = diagnostics.filter(\.isError).count
        if let command = stageMap["command"] {
            error("a stage runs a task type or a command, not both", at: command.keyNode, command.keyPath,
                  hint: "remove command:, or task:")
        }
        guard let taskEntry = stageMap["task"], let id = string(taskEntry.value, taskEntry.keyPath) else { return nil }
        let reserved = Set(Pipeline.builtin.stages.map(\.task) + ["exec"])
        let available = taskDeclarations.keys.filter { !reserved.contains($0) }.sorted()
        guard !reserved.contains(id) else {
            error("'\(id)' is the task type of a built-in stage; a custom stage names another task type",
                  at: taskEntry.value, taskEntry.keyPath,
                  hint: id == "exec" ? "write command: <shell command> to run a command"
                      : available.isEmpty ? "this lunette registers no other task type" : "registered: \(available.joined(separator: ", "))")
            return nil
        }
        guard let declaration = taskDeclarations[id] else {
            error("no task type '\(id)' is registered in this lunette", at: taskEntry.value, taskEntry.keyPath,
                  hint: Suggestion.hint(for: id, in: available).map { "\($0), or run" } .map { "\($0) the lunette-compatible executable that registers '\(id)'" }
                      ?? "run the lunette-compatible executable that registers it (README: Custom task types)"
                        + (available.isEmpty ? "" : "; registered here: \(available.joined(separator: ", "))"))
            return nil
        }

        var inputs: [String: StageInput] = [:]
        if let value = stageMap["inputs"] {
            if let inputMap = mapping(value.value, value.keyPath, allowed: declaration.inputs, owner: value.keyNode) {
                for input in inputMap.entries {
                    if let read = readInput(input.value, input.keyPath, item.key) { inputs[input.key] = read }
                }
                for missing in (declaration.inputs ?? []) where inputMap[missing] == nil {
                    reportMissing(missing, in: inputMap, hint: "task type '\(id)' reads '\(missing)': give @stage.output or a path")
                }
            }
        } else if let declared = declaration.inputs, !declared.isEmpty {
            error("stage '\(item.key)' needs inputs: \(declared.joined(separator: ", "))", at: item.keyNode,
                  item.keyPath.appendingKey("inputs"), hint: "inputs: {\(declared[0]): \"@stage.output\"}")
        }

        var params: [String: JSONValue] = [:]
        if let value = stageMap["settings"] {
            let settings = readSettings(value, schema: declaration.settings, labels: labels).settings
            if let key = declaration.settings?.paramsKey { params[key] = .object(settings) } else { params = settings }
        } else if let schema = declaration.settings {
            for issue in schema.check(.object([:]), labels: labels) where issue.isRule {
                error(issue.message, at: item.keyNode, item.keyPath.appendingKey("settings"), hint: issue.hint)
            }
        }

        var outputs = declaration.outputs ?? []
        if let value = stageMap["outputs"], let items = sequence(value.value, value.keyPath) {
            var listed: [String] = []
            for (index, node) in items.enumerated() {
                let path = value.keyPath.appendingIndex(index)
                guard let name = name(node, path, pattern: ManifestSchema.stageNamePattern, what: "output name") else {
                    continue
                }
                if let declared = declaration.outputs, !declared.contains(name) {
                    error("task type '\(id)' writes no output '\(name)'", at: node, path,
                          hint: Suggestion.hint(for: name, in: declared) ?? "its outputs: \(declared.joined(separator: ", "))")
                } else if listed.contains(name) {
                    error("output '\(name)' is listed twice", at: node, path)
                } else {
                    listed.append(name)
                }
            }
            if declaration.outputs == nil { outputs = listed }
        } else if declaration.outputs == nil {
            error("stage '\(item.key)' must list its outputs: task type '\(id)' declares none", at: item.keyNode,
                  item.keyPath.appendingKey("outputs"), hint: "outputs: [rows]")
        }

        var feed: CustomStage.Feed?
        if let value = stageMap["feeds"], let text = string(value.value, value.keyPath) {
            let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
            if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty {
                error("feeds is written 'stage.input', found '\(text)'", at: value.value, value.keyPath,
                      hint: "e.g. feeds: train.rows")
            } else if parts[0] == item.key {
                error("a stage cannot feed itself", at: value.value, value.keyPath)
            } else if !names.contains(parts[0]) {
                error("run '\(run)' has no stage '\(parts[0])'", at: value.value, value.keyPath,
                      hint: Suggestion.hint(for: parts[0], in: names) ?? "stages: \(names.joined(separator: ", "))")
            } else {
                let targetInputs = Pipeline.builtin.stage(named: parts[0]).map { Array($0.inputs.keys) }
                    ?? taskStageInputs[parts[0]]
                if let targetInputs, !targetInputs.contains(parts[1]) {
                    error("stage '\(parts[0])' has no input '\(parts[1])'", at: value.value, value.keyPath,
                          hint: Suggestion.hint(for: parts[1], in: targetInputs)
                              ?? "its inputs: \(targetInputs.sorted().joined(separator: ", "))")
                } else if targetInputs == nil {
                    error("stage '\(parts[0])' runs a command, whose inputs have no names to feed", at: value.value,
                          value.keyPath, hint: "feed a built-in stage or a task: stage, or read @\(item.key).<output> in its inputs")
                } else if let output = outputs.contains(parts[1]) ? parts[1] : outputs.count == 1 ? outputs[0] : nil {
                    feed = CustomStage.Feed(stage: parts[0], input: parts[1], output: output)
                } else {
                    error("stage '\(item.key)' has no output '\(parts[1])' to feed \(text) with", at: value.value,
                          value.keyPath, hint: "feeds takes the output of the same name, or the only output; outputs: \(outputs.joined(separator: ", "))")
                }
            }
        }
        guard diagnostics.filter(\.isError).count == errorsBefore else { return nil }
        return CustomStage(
            name: item.key, task: id, params: params, inputs: inputs, outputs: outputs, after: after, feeds: feed,
            location: source.location(of: item.keyNode))
    }

    /// Every stage reachable from `start` through `edges`, `start` excluded unless on a cycle.
    private static func transitive(_ edges: [String: Set<String>], from start: String) -> Set<String> {
        var seen: Set<String> = []
        var stack = Array(edges[start] ?? [])
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            stack += edges[next] ?? []
        }
        return seen
    }

    /// Parses `@stage.output`; the stage must be one of the run's (built-in or custom).
    private func stageReference(_ text: String, _ node: Node, _ keyPath: String, names: [String])
        -> (stage: String, output: String)?
    {
        let body = text.dropFirst()
        guard let dot = body.firstIndex(of: "."), dot != body.startIndex, body.index(after: dot) != body.endIndex else {
            error("a stage reference is written '@stage.output', found '\(text)'", at: node, keyPath)
            return nil
        }
        let stage = String(body[..<dot])
        guard names.contains(stage) else {
            error("'\(text)' refers to stage '\(stage)', which this run does not have", at: node, keyPath,
                  hint: Suggestion.hint(for: stage, in: names) ?? "stages: \(names.joined(separator: ", "))")
            return nil
        }
        return (stage, String(body[body.index(after: dot)...]))
    }

    /// How an output path overlaps a part of the workspace no stage may write (`workflows/`, `cache/`,
    /// `.git`, …), compared as written and with its symlinks followed; nil when it does not.
    private func protectedOverlap(_ path: String) -> (relation: String, ProtectedPath)? {
        let real = paths.realRelative(path)
        for protected in protectedPaths {
            for candidate in [path, real].compactMap({ $0 }) {
                if let relation = OutputClaim.overlap(of: candidate, with: protected.path) { return (relation, protected) }
            }
        }
        return nil
    }

    /// Checks, once every run is read, the outputs (no two stages write one path, none overlaps a path the
    /// project reads, none holds an input of a stage that need not run after its writer) and the inputs that do not exist yet (some stage must write them).
    func checkOutputClaims() {
        for diagnostic in OutputClaim.conflicts(outputClaims, acrossFilesOnly: false) { append(diagnostic) }
        for diagnostic in OutputClaim.readConflicts(outputClaims, reads: reads, acrossFilesOnly: false) {
            append(diagnostic)
        }
        for diagnostic in OutputClaim.unorderedReads(outputClaims, reads: reads, acrossFilesOnly: false) {
            append(diagnostic)
        }
        for input in pendingInputs {
            let written = outputClaims.contains { input.path == $0.path || input.path.hasPrefix($0.path + "/") }
            if !written {
                error("file not found: \(input.path)", at: input.node, input.keyPath,
                      hint: "no stage declares it as an output either; paths are relative to the manifest's folder")
            }
        }
    }
}
