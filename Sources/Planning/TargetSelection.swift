import Basics
import WorkflowModel

/// Resolves `lunette run` targets (`project`, `project/run`, `project/run/stage`) to stage ids.
public enum TargetSelection {
    /// The targeted stages and everything upstream of them (`selected`), and the stages the targets
    /// name themselves (`named`); every stage is both when `targets` is empty.
    /// - Throws: ``PlanningError`` `unknownTarget` with a did-you-mean when a target matches nothing.
    public static func select(_ targets: [String], among blueprints: [StageID: StageBlueprint]) throws
        -> (selected: Set<StageID>, named: Set<StageID>)
    {
        if targets.isEmpty { return (Set(blueprints.keys), Set(blueprints.keys)) }
        var selected: Set<StageID> = []
        var stack: [StageID] = []
        for target in targets {
            let trimmed = target.hasSuffix("/") ? String(target.dropLast()) : target
            let parts = trimmed.split(separator: "/").map(String.init)
            let matches = blueprints.keys.filter { id in
                let fields = [id.project, id.run, id.stage]
                guard parts.count <= 3 else { return false }
                return zip(parts, fields).allSatisfy { pattern, field in glob(pattern, matches: field) }
            }
            guard !matches.isEmpty else {
                let candidates: [String]
                switch parts.count {
                case 1: candidates = Set(blueprints.keys.map(\.project)).sorted()
                case 2: candidates = Set(blueprints.keys.map(\.runPath)).sorted()
                default: candidates = blueprints.keys.map(\.description).sorted()
                }
                let hint = Suggestion.hint(for: trimmed, in: candidates)
                throw PlanningError(
                    .unknownTarget, "unknown target '\(target)'",
                    remedy: hint ?? "targets are project, project/run or project/run/stage; `lunette status` lists runs")
            }
            stack += matches
        }
        let named = Set(stack)
        while let id = stack.popLast() {
            guard selected.insert(id).inserted, let blueprint = blueprints[id] else { continue }
            stack += blueprint.upstream
        }
        return (selected, named)
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters and `?` one character.
func glob(_ pattern: String, matches text: String) -> Bool {
    let p = Array(pattern), t = Array(text)
    var pi = 0, ti = 0, star = -1, mark = 0
    while ti < t.count {
        if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
            pi += 1
            ti += 1
        } else if pi < p.count, p[pi] == "*" {
            star = pi
            mark = ti
            pi += 1
        } else if star >= 0 {
            pi = star + 1
            mark += 1
            ti = mark
        } else {
            return false
        }
    }
    while pi < p.count, p[pi] == "*" { pi += 1 }
    return pi == p.count
}
