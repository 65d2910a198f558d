import Basics
import WorkflowModel

extension RunPlan {
    /// The plan as `lunette plan` prints it: one line per stage, `run` or `skip`, and why.
    ///
    /// With `explain`, each stage also lists its key, inputs and every change on its own line.
    public func renderedText(explain: Bool = false, notes: [StageID: String] = [:]) -> String {
        if stages.isEmpty { return "nothing to plan: no runs selected\n" }
        let idWidth = min(60, stages.map { $0.id.description.count }.max() ?? 0)
        let taskWidth = stages.map(\.task.count).max() ?? 0
        var out = ""
        for stage in stages {
            let id = stage.id.description.padding(toLength: max(idWidth, stage.id.description.count), withPad: " ", startingAt: 0)
            let task = stage.task.padding(toLength: taskWidth, withPad: " ", startingAt: 0)
            let action = stage.action == .run ? "run " : "skip"
            if explain, case .changed(let changes) = stage.reason, changes.count > 1 {
                out += "\(id)  \(task)  \(action)  \(changes.count) changes\n"
                for change in changes { out += "    - \(change)\n" }
            } else {
                out += "\(id)  \(task)  \(action)  \(stage.reason.text)\n"
            }
            if stage.action == .run, let note = notes[stage.id] { out += "    note: \(note)\n" }
            if explain {
                out += "    key: \(stage.key?.description ?? "(known after upstream stages run)")\n"
                for (name, source) in stage.blueprint.inputs.sorted(by: { $0.key < $1.key }) {
                    let digest = stage.inputDigests[name].map { " " + $0.short } ?? ""
                    out += "    input \(name): \(source.displayText)\(digest)\n"
                }
            }
        }
        let running = stagesToRun.count
        out += "\(running) to run, \(stages.count - running) up to date\n"
        return out
    }

    /// The stable JSON shape scripts read:
    /// `{"stages":[{"id","task","action","reason","key","inputs":{…},"outputs":{…}}]}`.
    ///
    /// `key` is `null` while an upstream stage still has to run; input and output values are
    /// digests, or `null` when not known yet. A stage that will run may carry a `note` from its task
    /// type (the provider calls it will make).
    public func jsonValue(notes: [StageID: String] = [:]) -> JSONValue {
        .object([
            "stages": .array(
                stages.map { stage in
                    var inputs: [String: JSONValue] = [:]
                    for name in stage.blueprint.inputs.keys {
                        inputs[name] = stage.inputDigests[name].map { .string($0.description) } ?? .null
                    }
                    var outputs: [String: JSONValue] = [:]
                    for name in stage.blueprint.outputs.keys {
                        outputs[name] = stage.knownOutputs?[name].map { .string($0.digest.description) } ?? .null
                    }
                    var object: [String: JSONValue] = [
                        "id": .string(stage.id.description), "task": .string(stage.task),
                        "action": .string(stage.action.rawValue), "reason": .string(stage.reason.text),
                        "key": stage.key.map { .string($0.description) } ?? .null,
                        "inputs": .object(inputs), "outputs": .object(outputs),
                    ]
                    if stage.action == .run, let note = notes[stage.id] { object["note"] = .string(note) }
                    return .object(object)
                })
        ])
    }

    /// The DAG in Graphviz DOT: stages that will run are filled.
    public func renderedDOT() -> String {
        var out = "digraph lunette {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n"
        let present = Set(stages.map(\.id))
        for stage in stages {
            let style = stage.action == .run ? ", style=filled, fillcolor=\"#fde68a\"" : ""
            out += "  \"\(stage.id)\" [label=\"\(stage.id.run)/\(stage.id.stage)\\n\(stage.task)\"\(style)];\n"
        }
        for stage in stages {
            for upstream in stage.blueprint.upstream where present.contains(upstream) {
                out += "  \"\(upstream)\" -> \"\(stage.id)\";\n"
            }
        }
        return out + "}\n"
    }
}
