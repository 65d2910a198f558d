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

    /// Reads a run's `stages:`: custom `exec` stages, name → `{command, inputs, outputs, after}`.
    ///
    /// Checks names (not built-in ones), `after:` and `@stage.output` references (stages of this run),
    /// output paths (inside the workspace, each listed once), and that the custom stages have no cycle,
    /// whether it runs through `after:`, through `@` references, or through one stage reading a path
    /// another writes.
    func readStages(_ entry: MappingNode.Entry, run: String, builtins: [String]) -> [CustomStage] {
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
            let names = builtins + customNames

            var command: String?
            if let value = stageMap["command"] { command = string(value.value, value.keyPath) } else {
                reportMissing("command", in: stageMap, hint: "the shell command to run, e.g. command: python3 prep.py")
            }
            var inputs: [StageInput] = []
            if let value = stageMap["inputs"], let items = sequence(value.value, value.keyPath) {
                for (index, node) in items.enumerated() {
                    let path = value.keyPath.appendingIndex(index)
                    guard let text = string(node, path) else { continue }
                    if text.hasPrefix("@") {
                        guard let reference = stageReference(text, node, path, names: names) else { continue }
                        inputs.append(.output(stage: reference.stage, output: reference.output))
                        if customNames.contains(reference.stage) {
                            graph.addEdge(from: reference.stage, to: item.key)
                            runsAfter[item.key, default: []].insert(reference.stage)
                        }
                    } else if let resolved = resolvedPath(node, path) {
                        inputs.append(.path(resolved))
                        inputPaths.append((item.key, resolved))
                        stageReads.append(ReadPath(
                            path: resolved, keyPath: path, location: source.location(of: node), isStageInput: true,
                            stage: StageName(run: run, name: item.key),
                            sourceLine: node.mark.flatMap { source.line($0.line) }))
                        if !paths.exists(resolved).exists {
                            pendingInputs.append(PendingInput(path: resolved, node: node, keyPath: path))
                        }
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
            var after: String?
            if let value = stageMap["after"], let text = string(value.value, value.keyPath) {
                if names.contains(text) {
                    after = text
                    if customNames.contains(text) {
                        graph.addEdge(from: text, to: item.key)
                        runsAfter[item.key, default: []].insert(text)
                    }
                } else {
                    error("run '\(run)' has no stage '\(text)'", at: value.value, value.keyPath,
                          hint: Suggestion.hint(for: text, in: names) ?? "stages: \(names.joined(separator: ", "))")
                }
            }
            if let command {
                stages.append(CustomStage(
                    name: item.key, command: command, inputs: inputs, outputs: outputs, after: after,
                    location: source.location(of: item.keyNode)))
            }
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
        if case .failure(let cycle) = graph.topologicalOrder(), let first = cycle.path.first {
            error("custom stages form a cycle: \(cycle.path.joined(separator: " → "))", at: keyNodes[first],
                  entry.keyPath.appendingKey(first), hint: "remove one of the 'after:', '@stage' or path links")
        }
        return stages.sorted { $0.name < $1.name }
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
