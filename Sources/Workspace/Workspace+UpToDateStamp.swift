import Basics
import ContentCache
import Execution
import Foundation
import ManifestLoading
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
    /// forced, not pushing, and no remote cache named by `LUNETTE_REMOTE` (a remote named in the
    /// settings files is checked where the run opens it; a run with one writes no stamp).
    func stampApplies(to request: RunRequest) -> Bool {
        let remote = environment["LUNETTE_REMOTE"] ?? ""
        return !request.dryRun && !request.force && !request.push && (remote.isEmpty || remote == "off")
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
    /// The facts are asked with the workspace lock held, as a run reads its inputs: a run, `cache
    /// verify` or `gc` that held it before sees its changes counted.
    func answerFromStamp(_ request: RunRequest, onWait: (String) -> Void) throws -> RunSummary? {
        guard request.useStamp, stampApplies(to: request) else { return nil }
        let clock = ContinuousClock()
        let started = clock.now
        guard let data = FileManager.default.contents(atPath: upToDateStampURL.path),
            let stamp = UpToDateStamp.decoded(from: data), stamp.key == stampKey(for: request)
        else { return nil }
        var outcomes: [StageOutcome] = []
        outcomes.reserveCapacity(stamp.stages.count)
        for stage in stamp.stages {
            guard let id = StageID(stage.id), let key = ContentHash(parsing: stage.key) else { return nil }
            outcomes.append(StageOutcome(id: id, status: .reused, reason: "up to date", key: key))
        }
        let lock = try acquireLock(command: request.command, wait: request.wait, onWait: onWait)
        defer { lock.unlock() }
        let cacheLock = try acquireCacheLock(exclusive: false, command: request.command, onWait: onWait)
        defer { cacheLock?.unlock() }
        // Anything unexpected (a busy or unreadable store) means a full run, never a failure here.
        guard Self.stillHold(stamp.facts), let store = try? openStore(),
            (try? store.stateGeneration()) == stamp.generation
        else { return nil }
        recordInCache()
        _ = try store.markInterrupted(at: now())
        reapInterruptedStages()
        let invocation = try store.beginInvocation(command: request.command, pid: getpid(), at: now())
        try store.finishInvocation(
            invocation, outcome: "succeeded",
            stats: ["ran": 0, "reused": outcomes.count, "failed": 0, "skipped": 0, "not_available": 0], at: now())
        return RunSummary(
            plan: RunPlan(stages: []), report: ExecutionReport(outcomes: outcomes, duration: clock.now - started),
            updatedLocks: [], warnings: stamp.warnings, answeredByStamp: true)
    }

    /// Asks every fact again, on every core: whether each answer is the recorded one.
    static func stillHold(_ facts: [UpToDateStamp.Fact]) -> Bool {
        let pieces = Parallel.ranges(facts.count, pieces: min(ProcessInfo.processInfo.activeProcessorCount * 2, facts.count / 512))
        return Parallel.map(pieces.count) { piece in
            FileFacts.stillHold(facts[pieces[piece]].lazy.map { ($0.question, $0.answer) })
        }.allSatisfy { $0 }
    }

    /// Replaces the stamp as a run that may write one starts, before it reads anything: with the
    /// pending marker, whose change time is when the run began (returned, in ns, as the file
    /// system's clock has it); removes it, returning `nil`, for a run that may not.
    func beginStamp(applies: Bool) -> Int64? {
        let path = upToDateStampURL.path
        // Not fsynced: after a power cut a lost or cut-short stamp reads as absent, and an older one
        // that comes back no longer matches the files this run changes.
        guard applies, (try? AtomicFile.write(UpToDateStamp.pendingMarker, to: path, durable: false)) != nil else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
        return FileFacts.changeTime(inStatus: FileFacts.status(of: path))
    }

    /// Writes the up-to-date stamp for a run that found every stage of `plan` up to date, when no
    /// file it read changed after `marker` (``beginStamp(applies:)``); otherwise removes the marker.
    /// - Parameters:
    ///   - generation: the store's state generation before the plan was made; a run whose store
    ///     moved since (another process, or this run settling a status) writes no stamp.
    ///   - locks: every project's lock as the run left it (the scores files are made from them).
    func finishStamp(
        marker: Int64, generation: Int64, request: RunRequest, projects: [Project], warnings: [Diagnostic],
        loadFacts: [String: String], plan: RunPlan, report: ExecutionReport, locks: [String: Lockfile],
        cache: ContentCache, store: RunStore
    ) {
        let path = upToDateStampURL.path
        guard report.outcomes.count == plan.stages.count,
            report.outcomes.allSatisfy({ $0.status == .reused && $0.key != nil }),
            plan.stages.allSatisfy({ $0.action == .skip && $0.knownOutputs != nil }),
            (try? store.stateGeneration()) == generation
        else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        let statuses = stampFacts(
            projects: projects, plan: plan, cache: cache, extra: scoresSources(projects: projects, locks: locks, cache: cache))
        guard UpToDateStamp.settledBefore(marker, statuses) else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        let stamp = UpToDateStamp(
            key: stampKey(for: request), generation: generation, warnings: warnings,
            stages: report.outcomes.map { UpToDateStamp.Stage(id: $0.id.description, key: $0.key?.description ?? "") },
            facts: loadFacts.map { UpToDateStamp.Fact(question: $0.key, answer: $0.value) } + statuses)
        guard let data = try? stamp.encoded(), (try? AtomicFile.write(data, to: path, durable: false)) != nil else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
    }

    /// The `stat` of every file an up-to-date `plan` read besides the manifests, asked on every
    /// core: its stages' input files and base models (every file and folder inside), each stage's
    /// index entry, output objects and outputs in the workspace, and the projects' locks, scores
    /// and feedback files, the registry file and the settings files.
    func stampFacts(projects: [Project], plan: RunPlan, cache: ContentCache, extra: [String] = []) -> [UpToDateStamp.Fact] {
        func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : root.path + "/" + path }
        var trees: Set<String> = []
        var files: [String] = []
        for stage in plan.stages {
            for source in stage.blueprint.inputs.values {
                switch source {
                case .file(let path): trees.insert(absolute(path))
                case .baseModel(let model):
                    trees.insert(modelsDirectory.appendingPathComponent(BaseModel.named(model)?.folder ?? model).path)
                case .stage: break
                }
            }
            if let key = stage.key { files.append(cache.indexEntryURL(key).path) }
            for output in (stage.knownOutputs ?? [:]).values { files.append(cache.objectURL(output.digest).path) }
            for case let path? in stage.blueprint.outputs.values { files.append(absolute(path)) }
        }
        for project in projects {
            files += [absolute(project.lockPath), absolute(project.scoresPath), feedbackPath(project).path]
        }
        files += [RegistryFile.path, WorkspaceSettingsReader.fileName, WorkspaceSettingsReader.localFileName].map(absolute)
        files += extra
        let roots = trees.sorted()
        var seen = Set(roots)
        let singles = files.filter { seen.insert($0).inserted }  // stages share objects and models
        // Each piece asks its share of both lists; the pieces' answers are joined in order.
        let count = min(ProcessInfo.processInfo.activeProcessorCount * 2, (singles.count + roots.count) / 256)
        let singlePieces = Parallel.ranges(singles.count, pieces: count), rootPieces = Parallel.ranges(roots.count, pieces: count)
        return Parallel.map(singlePieces.count) { piece in
            var found: [UpToDateStamp.Fact] = []
            for path in singles[singlePieces[piece]] {
                found.append(UpToDateStamp.Fact(question: "status:" + path, answer: FileFacts.status(of: path)))
            }
            for root in roots[rootPieces[piece]] {
                let status = FileFacts.status(of: root)
                found.append(UpToDateStamp.Fact(question: "status:" + root, answer: status))
                guard status.hasPrefix("dir "), let enumerator = FileManager.default.enumerator(atPath: root) else { continue }
                while let relative = enumerator.nextObject() as? String {
                    let path = root + "/" + relative
                    found.append(UpToDateStamp.Fact(question: "status:" + path, answer: FileFacts.status(of: path)))
                }
            }
            return found
        }.flatMap { $0 }
    }

    /// The cache objects ``updateScoresFiles(projects:locks:cache:)`` reads: the evaluation report
    /// (its tree and the tree's `report.json`) of each locked run whose scores entry does not already
    /// hold it. An entry that does is kept without reading the cache; for the others, a report that
    /// appears in the cache later (a pull, another workspace sharing it) changes the scores file.
    func scoresSources(projects: [Project], locks: [String: Lockfile], cache: ContentCache) -> [String] {
        var paths: [String] = []
        for project in projects {
            let data = FileManager.default.contents(atPath: root.appendingPathComponent(project.scoresPath).path)
            let scores = data.flatMap { try? ScoresFile.parse($0, file: project.scoresPath) }
            let lock = locks[project.name] ?? Lockfile(project: project.name)
            for run in project.runs {
                let evaluate = StageID(project: project.name, run: run.name, stage: "evaluate")
                guard let report = lock.stages[evaluate]?.outputs["report"] else { continue }
                if let old = scores?.runs[run.name], old.reportDigest == report.digest.description,
                    old.values["gate"] == .object(run.gate)
                {
                    continue
                }
                paths.append(cache.objectURL(report.digest).path)
                if let member = cache.memberObjectURL(at: "report.json", inDirectory: report.digest) {
                    paths.append(member.path)
                }
            }
        }
        return paths
    }
}
