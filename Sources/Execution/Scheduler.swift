import Planning
import WorkflowModel

/// The bookkeeping of an execution: which stages are ready, done, or blocked, and why.
///
/// A value type driven by the ``Executor``'s single scheduling loop, so it needs no locks.
struct Scheduler {
    let plan: RunPlan
    private var index: [StageID: Int] = [:]
    private var remaining: [Int]
    private var dependents: [[Int]]
    private var ready: [Int] = []
    private var started: Set<Int> = []
    private(set) var outcomes: [StageID: StageOutcome] = [:]
    /// Stages with a dependent that will execute (their cached outputs get re-hashed before use).
    private var feedsRunningStage: Set<Int> = []

    init(plan: RunPlan) {
        self.plan = plan
        let count = plan.stages.count
        remaining = Array(repeating: 0, count: count)
        dependents = Array(repeating: [], count: count)
        for (i, stage) in plan.stages.enumerated() { index[stage.id] = i }
        var firstWithKey: [String: Int] = [:]
        for (i, stage) in plan.stages.enumerated() {
            var upstream = Set(stage.blueprint.upstream.compactMap { index[$0] })
            // Two stages with the same key: the second waits for the first and then finds its outputs cached.
            if let key = stage.key?.description, stage.action == .run {
                if let first = firstWithKey[key] { upstream.insert(first) } else { firstWithKey[key] = i }
            }
            remaining[i] = upstream.count
            for u in upstream {
                dependents[u].append(i)
                if stage.action == .run { feedsRunningStage.insert(u) }
            }
        }
        ready = (0..<count).filter { remaining[$0] == 0 }
    }

    func hasRunningDependent(_ i: Int) -> Bool { feedsRunningStage.contains(i) }

    /// The outcomes of the stages stage `i` reads from: what its task gets, rather than all of
    /// ``outcomes``, which a running task would otherwise hold while the loop adds to it (a copy of the
    /// whole dictionary at every completion, quadratic in the plan's size).
    func upstreamOutcomes(of i: Int) -> [StageID: StageOutcome] {
        var picked: [StageID: StageOutcome] = [:]
        for id in plan.stages[i].blueprint.upstream { picked[id] = outcomes[id] }
        return picked
    }

    /// Takes up to `limit` ready stages (in plan order) whose pool has room, reserving their slots.
    mutating func takeReady(
        limit: Int, fits: (PlannedStage) -> Bool, reserve: (PlannedStage) -> Void
    ) -> [Int] {
        guard limit > 0 else { return [] }
        var taken: [Int] = []
        var kept: [Int] = []
        for i in ready.sorted() {
            if taken.count < limit, fits(plan.stages[i]) {
                reserve(plan.stages[i])
                taken.append(i)
                started.insert(i)
            } else {
                kept.append(i)
            }
        }
        ready = kept
        return taken
    }

    /// Records an outcome; returns the stages that can now never run, each marked skipped.
    mutating func complete(_ outcome: StageOutcome) -> [StageOutcome] {
        outcomes[outcome.id] = outcome
        guard let i = index[outcome.id] else { return [] }
        if outcome.isComplete {
            for d in dependents[i] {
                remaining[d] -= 1
                if remaining[d] == 0 { ready.append(d) }
            }
            return []
        }
        let cause: String
        switch outcome.status {
        case .notAvailable(let message): cause = "waits for \(outcome.id.stage) (\(message))"
        case .cancelled: cause = "\(outcome.id.stage) was cancelled"
        case .skipped(let because): cause = because
        default: cause = "upstream stage \(outcome.id.stage) failed"
        }
        var skipped: [StageOutcome] = []
        var stack = dependents[i]
        while let d = stack.popLast() {
            let id = plan.stages[d].id
            guard outcomes[id] == nil, !started.contains(d) else { continue }
            let status: StageOutcome.Status
            if case .notAvailable = outcome.status, plan.stages[d].version == nil {
                status = .notAvailable("task type '\(plan.stages[d].task)' not available yet")
            } else {
                status = .skipped(because: cause)
            }
            let skip = StageOutcome(id: id, status: status, reason: cause)
            outcomes[id] = skip
            started.insert(d)
            skipped.append(skip)
            stack += dependents[d]
        }
        return skipped.sorted { (index[$0.id] ?? 0) < (index[$1.id] ?? 0) }
    }

    /// Marks every stage that never started, after the loop ends.
    mutating func finishUnstarted(cancelled: Bool) -> [StageOutcome] {
        var left: [StageOutcome] = []
        for stage in plan.stages where outcomes[stage.id] == nil {
            let outcome = StageOutcome(
                id: stage.id, status: cancelled ? .cancelled : .skipped(because: "not started: an earlier stage failed"),
                reason: cancelled ? "cancelled before it started" : "not started: an earlier stage failed")
            outcomes[stage.id] = outcome
            left.append(outcome)
        }
        return left
    }

    func orderedOutcomes() -> [StageOutcome] { plan.stages.compactMap { outcomes[$0.id] } }
}
