import Foundation
import TaskInterface
import WorkflowModel

/// A thread-safe log of every ``FakeTaskType`` invocation, like ninja's `commands_ran_`.
///
/// Tests read back which stages ran, in which order they started and finished, and the most
/// stages that were running at once (overall and per task id), to check scheduling limits.
///
/// ```swift
/// let recorder = InvocationRecorder()
/// let registry = FakeTaskType.registry(recorder: recorder)
/// // … execute a plan …
/// #expect(recorder.stagesRan == ["demo/tox/load", "demo/tox/split"])
/// #expect(recorder.maxConcurrency <= 1)
/// ```
public final class InvocationRecorder: @unchecked Sendable {
    /// One call of a fake's `run`.
    public struct Invocation: Hashable, Sendable {
        public var stageID: StageID
        public var task: String
        /// The number of the invocation, from 0, in start order.
        public var sequence: Int
    }

    /// Something that happened, in order.
    public enum Event: Hashable, Sendable {
        case started(StageID)
        case finished(StageID)
        case failed(StageID)
        case cancelled(StageID)
    }

    private let lock = NSLock()
    private var invocationsStorage: [Invocation] = []
    private var eventsStorage: [Event] = []
    private var running = 0
    private var runningByTask: [String: Int] = [:]
    private var maxRunning = 0
    private var maxRunningByTask: [String: Int] = [:]

    public init() {}

    /// Every invocation, in start order.
    public var invocations: [Invocation] { lock.withLock { invocationsStorage } }

    /// Every start, finish, failure and cancellation, in order.
    public var events: [Event] { lock.withLock { eventsStorage } }

    /// The ids (`project/run/stage`) of the stages that started, in start order.
    public var stagesRan: [String] { invocations.map(\.stageID.description) }

    /// The stage names (last id component) that started, in start order.
    public var stageNamesRan: [String] { invocations.map(\.stageID.stage) }

    /// The most invocations that were running at the same moment.
    public var maxConcurrency: Int { lock.withLock { maxRunning } }

    /// The most invocations of task `id` that were running at the same moment.
    public func maxConcurrency(task id: String) -> Int { lock.withLock { maxRunningByTask[id, default: 0] } }

    /// How many invocations are running now.
    public var currentlyRunning: Int { lock.withLock { running } }

    /// Forgets everything recorded so far (the running counters are kept).
    public func reset() {
        lock.withLock {
            invocationsStorage = []
            eventsStorage = []
            maxRunning = running
            maxRunningByTask = runningByTask
        }
    }

    func begin(_ stageID: StageID, task: String) {
        lock.withLock {
            invocationsStorage.append(Invocation(stageID: stageID, task: task, sequence: invocationsStorage.count))
            eventsStorage.append(.started(stageID))
            running += 1
            runningByTask[task, default: 0] += 1
            maxRunning = max(maxRunning, running)
            maxRunningByTask[task] = max(maxRunningByTask[task, default: 0], runningByTask[task, default: 0])
        }
    }

    func end(_ event: Event, task: String) {
        lock.withLock {
            eventsStorage.append(event)
            running -= 1
            runningByTask[task, default: 1] -= 1
        }
    }
}
