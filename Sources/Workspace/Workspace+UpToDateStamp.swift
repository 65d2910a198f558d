import Basics
import ContentCache
import Execution
import Foundation
import ManifestLoading
import Synchronization
import Planning
import RunStore
import WorkflowModel

#if canImport(Glibc)
    import Glibc
#endif

extension Workspace {
    /// The up-to-date stamp's file (``UpToDateStamp``), beside the store.
    var upToDateStampURL: URL { stateDirectory.appendingPathComponent(UpToDateStamp.fileName) }

    /// Whether `request` may be answered by, or leave, an up-to-date stamp: not a dry run, not
    /// forced, not pushing, and no remote cache named by the environment (a remote named in the
    /// settings files is checked where the run opens it).
    func stampApplies(to request: RunRequest) -> Bool {
        !request.dryRun && !request.force && !request.push
            && !environment.contains { $0.key.hasPrefix("LUNETTE_REMOTE") && !$0.value.isEmpty }
    }

    /// The digest of what a stamp's answer depends on besides the files it lists: the request's
    /// targets and registration, and the kept manifest load's key (this executable, the task types
    /// with their settings, the workspace, cache and models folders).
    func stampKey(for request: RunRequest) -> String {
        let parts = [
            "stamp \(UpToDateStamp.format)", "load \(manifestMemoKey(.error))",
            "targets " + request.targets.joined(separator: "\u{1F}"), "register \(request.register)",
            "force-register " + request.forceRegister.sorted().joined(separator: "\u{1F}"),
        ]
        return ContentHash.of(parts.joined(separator: "\n")).hex
    }

    /// Answers `request` from the up-to-date stamp when it holds: records the invocation (every
    /// stage reused) and returns its summary; `nil` when there is no stamp, it is for another
    /// request, or anything it lists changed (the caller then runs as usual).
    ///
    /// Its checks run before the workspace lock is taken; once it is held, the stamp file itself
    /// is asked again, so a run that came in between (it replaces the stamp as it starts) is seen.
    func answerFromStamp(_ request: RunRequest, onWait: (String) -> Void) throws -> RunSummary? {
        guard request.useStamp, stampApplies(to: request) else { return nil }
        let clock = ContinuousClock()
        let started = clock.now
        let path = upToDateStampURL.path
        let probe = FileFacts()
        let identity = probe.recordStatus(of: path)
        guard identity != "none", let data = FileManager.default.contents(atPath: path),
            let stamp = UpToDateStamp.decoded(from: data), stamp.key == stampKey(for: request),
            Self.stillHold(stamp.facts)
        else { return nil }
        let store = try openStore()
        guard try store.stateGeneration() == stamp.generation else { return nil }
        let lock = try acquireLock(command: request.command, wait: request.wait, onWait: onWait)
        defer { lock.unlock() }
        let cacheLock = try acquireCacheLock(exclusive: false, command: request.command, onWait: onWait)
        defer { cacheLock?.unlock() }
        guard FileFacts().recordStatus(of: path) == identity, try store.stateGeneration() == stamp.generation else {
            return nil
        }
        recordInCache()
        _ = try store.markInterrupted(at: now())
        reapInterruptedStages()
        let invocation = try store.beginInvocation(command: request.command, pid: getpid(), at: now())
        var outcomes: [StageOutcome] = []
        outcomes.reserveCapacity(stamp.stages.count)
        for stage in stamp.stages {
            guard let id = StageID(stage.id) else { return nil }
            outcomes.append(StageOutcome(id: id, status: .reused, reason: "up to date", key: ContentHash(parsing: stage.key)))
        }
        try store.finishInvocation(
            invocation, outcome: "succeeded",
            stats: ["ran": 0, "reused": outcomes.count, "failed": 0, "skipped": 0, "not_available": 0], at: now())
        return RunSummary(
            plan: RunPlan(stages: []), report: ExecutionReport(outcomes: outcomes, duration: clock.now - started),
            updatedLocks: [], warnings: stamp.warnings, answeredByStamp: true)
    }

    /// Asks every fact again, on every core: whether each answer is the recorded one.
    static func stillHold(_ facts: [UpToDateStamp.Fact]) -> Bool {
        let pieces = max(1, min(ProcessInfo.processInfo.activeProcessorCount * 2, facts.count / 512))
        let held = Mutex(true)
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let range = (facts.count * piece / pieces)..<(facts.count * (piece + 1) / pieces)
            guard held.withLock({ $0 }) else { return }
            if !FileFacts.stillHold(facts[range].lazy.map { ($0.question, $0.answer) }) { held.withLock { $0 = false } }
        }
        return held.withLock { $0 }
    }

    /// Replaces the stamp as a run that may write one starts: with the pending marker, whose change
    /// time is when the run began (returned, in ns, as the file system's clock has it); removes it,
    /// returning `nil`, for a run that may not.
    func beginStamp(applies: Bool) -> Int64? {
        let path = upToDateStampURL.path
        guard applies, (try? AtomicFile.write(UpToDateStamp.pendingMarker, to: path)) != nil else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
        return FileFacts.changeTime(inStatus: FileFacts().recordStatus(of: path))
    }

    /// Writes the up-to-date stamp for a run that found every stage of `plan` up to date, when no
    /// file it read changed after `marker` (``beginStamp(applies:)``); otherwise removes the marker.
    func finishStamp(
        marker: Int64, request: RunRequest, projects: [Project], warnings: [Diagnostic], loadFacts: [String: String],
        plan: RunPlan, report: ExecutionReport, cache: ContentCache, store: RunStore
    ) {
        let path = upToDateStampURL.path
        guard report.outcomes.count == plan.stages.count,
            report.outcomes.allSatisfy({ $0.status == .reused && $0.key != nil }),
            plan.stages.allSatisfy({ $0.action == .skip && $0.knownOutputs != nil }),
            let generation = try? store.stateGeneration()
        else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        let facts = stampFacts(projects: projects, plan: plan, cache: cache)
        let statuses = facts.recorded.map { UpToDateStamp.Fact(question: $0.key, answer: $0.value) }
        guard UpToDateStamp.settledBefore(marker, statuses) else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        var all = loadFacts.map { UpToDateStamp.Fact(question: $0.key, answer: $0.value) } + statuses
        all.sort { $0.question < $1.question }
        let stamp = UpToDateStamp(
            key: stampKey(for: request), generation: generation, warnings: warnings,
            stages: report.outcomes.map { UpToDateStamp.Stage(id: $0.id.description, key: $0.key?.description ?? "") },
            facts: all)
        guard let data = try? stamp.encoded(), (try? AtomicFile.write(data, to: path)) != nil else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
    }

    /// The `stat` of every file an up-to-date plan of `projects` read besides the manifests: input
    /// files and base models (every file and folder inside), locks, scores, feedback, registry and
    /// settings files, each stage's index entry and output objects, and its outputs in the workspace.
    func stampFacts(projects: [Project], plan: RunPlan, cache: ContentCache) -> FileFacts {
        let facts = FileFacts()
        func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : root.path + "/" + path }
        func recordTree(_ path: String) {
            guard facts.recordStatus(of: path).hasPrefix("dir "),
                let enumerator = FileManager.default.enumerator(atPath: path)
            else { return }
            while let relative = enumerator.nextObject() as? String { facts.recordStatus(of: path + "/" + relative) }
        }
        for path in RunPlan.requiredPaths(for: projects) { recordTree(absolute(path)) }
        for model in RunPlan.requiredModels(for: projects) {
            recordTree(modelsDirectory.appendingPathComponent(BaseModel.named(model)?.folder ?? model).path)
        }
        for project in projects {
            facts.recordStatus(of: absolute(project.lockPath))
            facts.recordStatus(of: absolute(project.scoresPath))
            facts.recordStatus(of: feedbackPath(project).path)
        }
        for name in [RegistryFile.path, WorkspaceSettingsReader.fileName, WorkspaceSettingsReader.localFileName] {
            facts.recordStatus(of: absolute(name))
        }
        for stage in plan.stages {
            if let key = stage.key { facts.recordStatus(of: cache.indexEntryURL(key).path) }
            for output in (stage.knownOutputs ?? [:]).values { facts.recordStatus(of: cache.objectURL(output.digest).path) }
            for case let path? in stage.blueprint.outputs.values { facts.recordStatus(of: absolute(path)) }
        }
        return facts
    }
}
