import Basics
import ContentCache
import Execution
import Foundation
import Planning
import RunStore
import TaskInterface
import WorkflowModel

extension Workspace {
    /// Runs the stale stages of `request.targets` and updates the locks, the scores files and the registry file.
    ///
    /// Holds the workspace lock while it runs (waiting for another invocation, or failing at once
    /// with `wait: false`). Records the invocation and every stage in the store. Rewrites a
    /// project's lock atomically, only when no stage failed or was cancelled, and only when its
    /// text changes.
    public func run(
        _ request: RunRequest, observer: any ExecutionObserver = SilentObserver(), onWait: (String) -> Void = { _ in },
        onWarning: (@Sendable (Diagnostic) -> Void)? = nil
    ) async throws -> RunSummary {
        if let answered = try answerFromStamp(request, onWait: onWait) { return answered }
        // The up-to-date stamp is replaced by the pending marker before anything is read, and written
        // at the end only when every stage turned out up to date (a dry run leaves it as it is).
        var stampMarker = request.dryRun ? nil : beginStamp(applies: stampApplies(to: request))
        let (projects, warnings, loadFacts) = try loadProjectsRecordingFacts()
        let lock = try acquireLock(command: request.command, wait: request.wait, onWait: onWait)
        defer { lock.unlock() }
        let cacheLock = try acquireCacheLock(exclusive: false, command: request.command, onWait: onWait)
        defer { cacheLock?.unlock() }
        recordInCache()
        let store = try openStore()
        let generation = try store.stateGeneration()
        try syncRegistry(store)
        _ = try store.markInterrupted(at: now())
        reapInterruptedStages()
        let cache = try openCache()
        // Read-through: what the locks reference and this cache lacks comes from the remote first.
        var remoteNotes: [Diagnostic] = []
        var remoteFailure: (any Error)?
        let remote = request.dryRun ? nil : try remoteLocation()
        if remote != nil, stampMarker != nil {
            stampMarker = beginStamp(applies: false)  // a run with a remote cache leaves no stamp
        }
        if let location = remote {
            do {
                let pulled = try await pull(targets: request.targets)
                if !pulled.downloaded.isEmpty {
                    remoteNotes.append(Diagnostic(.note, "pulled \(pulled.downloaded.count) objects from \(location.description)"))
                }
                for item in pulled.corrupt { remoteNotes.append(.warning("corrupt on the remote, left out (its stage runs again): \(item)")) }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                remoteFailure = error  // RunRemote warns once, and asks the remote nothing more in this run
            }
        }
        let locks = try readLocks(projects)
        let digester = FileDigester(root: root, store: store, now: now)
        let plan = try makePlan(
            projects: request.adjusting(projects), targets: request.targets, force: request.force, trustLock: false, store: store,
            cache: cache, locks: locks, digester: digester)
        if request.dryRun {
            return RunSummary(plan: plan, report: nil, updatedLocks: [], warnings: warnings)
        }
        try preflight(plan)
        let invocation = try store.beginInvocation(command: request.command, pid: getpid(), at: now())
        // Each stage looked up in the remote by its key before it runs; with --push, uploaded as it finishes.
        let runRemote = openRunRemote(failure: remoteFailure, writeThrough: request.push, onWarning: onWarning)
        var remoteLookup: (@Sendable (ContentHash, StageID) async -> String?)?
        if let runRemote { remoteLookup = { key, stage in await runRemote.lookup(key, stage) } }
        let executor = Executor(
            registry: registry, runner: makeRunner(cache: cache, store: store),
            store: store, workspaceRoot: root, observer: runRemote?.observing(observer) ?? observer, now: now,
            workspaceFileDigest: { path in digester.digest(of: path) },
            remoteLookup: remoteLookup)
        let report = await executor.execute(
            plan,
            options: ExecutionOptions(
                jobs: request.jobs, keepGoing: request.keepGoing, pools: request.pools),
            invocation: invocation)
        digester.save()
        if let runRemote { remoteNotes += await runRemote.finish(interrupted: report.wasCancelled) }
        var updated: [String] = []
        var finalLocks = locks
        if report.failed.isEmpty && !report.wasCancelled {
            let written = try updateLocks(projects: projects, outcomes: report.outcomes, existing: locks)
            updated = written.changed
            finalLocks = written.locks
            updated += try updateScoresFiles(projects: projects, locks: written.locks, cache: cache)
        }
        // A registration made before another stage failed is kept: the store and the file agree.
        updated += try updateRegistryFile(store: store)
        // A remote that failed during the run is not asked again (finish named what was not pushed).
        if request.push, !report.wasCancelled, !(runRemote?.isOut ?? false) {
            do {
                let pushed = try await push(targets: request.targets)
                remoteNotes.append(Diagnostic(.note, "pushed \(pushed.uploaded.count) objects to \(pushed.remote)"))
            } catch {
                remoteNotes.append(.warning("could not push to the remote cache: \(error)"))
            }
        }
        let outcome = report.wasCancelled ? "cancelled" : report.failed.isEmpty ? "succeeded" : "failed"
        try store.finishInvocation(
            invocation, outcome: outcome,
            stats: ["ran": report.ran, "reused": report.reused, "failed": report.failed.count,
                    "skipped": report.skipped.count, "not_available": report.notAvailable.count],
            at: now())
        if let stampMarker {
            if updated.isEmpty && remoteNotes.isEmpty {
                finishStamp(
                    marker: stampMarker, generation: generation, request: request, projects: projects,
                    warnings: warnings, loadFacts: loadFacts, plan: plan, report: report, locks: finalLocks,
                    cache: cache, store: store)
            } else {
                try? FileManager.default.removeItem(at: upToDateStampURL)
            }
        }
        return RunSummary(plan: plan, report: report, updatedLocks: updated, warnings: warnings + remoteNotes)
    }

    /// Asks each stage that will run what it needs from outside (credentials, tools), and stops
    /// before any work when something is missing.
    func preflight(_ plan: RunPlan) throws {
        var problems: [Diagnostic] = []
        for stage in plan.stagesToRun {
            guard let task = registry.taskType(id: stage.task) else { continue }
            for message in task.preflight(params: stage.blueprint.params, environment: environment) {
                problems.append(.error(message, at: stage.blueprint.location, keyPath: "runs.\(stage.id.run)"))
            }
        }
        if !problems.isEmpty {
            throw WorkspaceError(.invalidManifests, "stages cannot start", diagnostics: Array(Set(problems)))
        }
    }

    /// Writes each project's lock with the complete stages' keys and outputs.
    /// - Returns: the workspace-relative paths of the locks that changed, and every project's lock as it
    ///   now is (what the scores files are made from, without reading the locks again).
    func updateLocks(projects: [Project], outcomes: [StageOutcome], existing: [String: Lockfile]) throws
        -> (changed: [String], locks: [String: Lockfile])
    {
        var changed: [String] = []
        var locks = existing
        for project in projects {
            let before = existing[project.name] ?? Lockfile(project: project.name)
            var lock = before
            for outcome in outcomes where outcome.id.project == project.name && outcome.isComplete {
                guard let key = outcome.key, lock.stages[outcome.id]?.key != key
                        || lock.stages[outcome.id]?.outputs != outcome.outputs,
                    let parts = outcome.parts
                else { continue }
                lock.stages[outcome.id] = LockEntry(key: key, parts: parts, outputs: outcome.outputs)
            }
            let valid = Set(
                project.runs.flatMap { run in StageExpansion.blueprints(for: run, in: project).map(\.id) })
            lock.stages = lock.stages.filter { valid.contains($0.key) }
            locks[project.name] = lock
            let path = root.appendingPathComponent(project.lockPath).path
            if lock != before || (!FileManager.default.fileExists(atPath: path) && !lock.stages.isEmpty) {
                let text = lock.rendered()
                try AtomicFile.write(Data(text.utf8), to: path)
                changed.append(project.lockPath)
            }
        }
        // What killed lock writes left beside the locks, once per folder (projects share `workflows/`).
        let folders = Set(projects.map { root.appendingPathComponent($0.lockPath).deletingLastPathComponent().path })
        for folder in folders.sorted() { AtomicFile.removeStaleTemporaries(in: folder) }
        return (changed, locks)
    }
}

/// What `lunette run` asks for.
public struct RunRequest: Sendable {
    public var targets: [String]
    public var jobs: Int
    public var keepGoing: Bool
    public var force: Bool
    public var dryRun: Bool
    /// Wait for another invocation holding the workspace (false: `--no-wait`).
    public var wait: Bool
    public var pools: [String: Int]
    /// The command line, recorded in the store and the lock holder's note.
    public var command: String
    /// `false` (`--no-register`): no run registers its metric; runs stop at fine-tuned.
    public var register: Bool
    /// `project/run` paths whose register stage runs even when the manifest says `register: false`
    /// (`lunette register RUN`).
    public var forceRegister: Set<String>
    /// Upload each stage to the remote cache as soon as it finishes, and what is left when the run
    /// ends (`--push`; write-through).
    public var push: Bool = false
    /// Answer from the up-to-date stamp when it holds (``RunSummary/answeredByStamp``): every stage
    /// is then reported reused without loading the manifests or planning, and ``RunSummary/plan``
    /// is empty. `lunette run` sets it unless `--verbose` asks for each stage's reason. A run writes
    /// the stamp when it finds everything up to date (not with `force`, `push`, `dryRun` or a
    /// remote cache), whatever this says. The reused outcomes then carry their keys, not their outputs.
    public var useStamp: Bool = false

    public init(
        targets: [String] = [], jobs: Int = 2, keepGoing: Bool = false, force: Bool = false, dryRun: Bool = false,
        wait: Bool = true, pools: [String: Int] = ["train": 1], command: String = "lunette run", register: Bool = true,
        forceRegister: Set<String> = []
    ) {
        self.register = register
        self.forceRegister = forceRegister
        self.targets = targets
        self.jobs = jobs
        self.keepGoing = keepGoing
        self.force = force
        self.dryRun = dryRun
        self.wait = wait
        self.pools = pools
        self.command = command
    }
}

extension RunRequest {
    /// The projects as this request plans them (`--no-register`, `lunette register`).
    func adjusting(_ projects: [Project]) -> [Project] {
        guard !register || !forceRegister.isEmpty else { return projects }
        return projects.map { project in
            var project = project
            project.runs = project.runs.map { run in
                var run = run
                if forceRegister.contains("\(project.name)/\(run.name)") {
                    run.register = true
                } else if !register {
                    run.register = false
                }
                return run
            }
            return project
        }
    }
}

/// What a `lunette run` did.
public struct RunSummary: Sendable {
    /// The plan that was executed; empty when the up-to-date stamp answered (``answeredByStamp``).
    public var plan: RunPlan
    /// `nil` for a dry run.
    public var report: ExecutionReport?
    /// Committed files rewritten: locks, scores files (`<project>.scores.json`) and the registry file.
    public var updatedLocks: [String]
    public var warnings: [Diagnostic]
    /// Whether the up-to-date stamp answered (``RunRequest/useStamp``): nothing the last
    /// all-up-to-date run read had changed, so every stage was reported reused without planning.
    public var answeredByStamp: Bool = false
}
