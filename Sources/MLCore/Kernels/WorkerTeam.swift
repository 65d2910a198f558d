import Foundation
import Synchronization

/// Helper threads, shared by the process, that run the parts of one job together and meet at cheap
/// barriers between its steps.
///
/// A lone text's forward pass is a chain of small steps (a GEMM of 16 rows takes tens of
/// microseconds); waking a sleeping thread for each one costs about as much as the step, so
/// `DispatchQueue.concurrentPerform` per step loses most of what a second core gives. The team's
/// threads spin briefly between steps and between jobs, then sleep, so a busy caller gets hot
/// threads and an idle process burns no CPU. Jobs run one at a time (a second caller waits); which
/// thread runs a part never changes the arithmetic, only the part number does.
final class WorkerTeam: @unchecked Sendable {
    /// The process's team.
    static let shared = WorkerTeam()

    /// How long a helper keeps spinning for the next job before it sleeps.
    static let idleSpin: Duration = .microseconds(300)

    private let jobLock = NSLock()
    private let remaining = Atomic<Int>(0)
    private let callerSleeping = Atomic<Int>(0)
    private let finished = NSCondition()
    /// Started on demand, never stopped (they sleep when there is nothing to do); guarded by `jobLock`.
    private var helpers: [Helper] = []

    private struct Job {
        var part: Int
        var barrier: StepBarrier
        var body: @Sendable (Int, StepBarrier) -> Void
    }

    /// One helper thread's mailbox: the job posted to it, how many were posted, and its wake-up signal.
    private final class Helper: @unchecked Sendable {
        let posted = Atomic<Int>(0)
        let sleeping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
        /// Written by the poster before `posted` is bumped, while the helper is idle; read by the helper after.
        var job: Job?
    }

    /// Runs `body(part, barrier)` for every part in `0..<parts` at once, part 0 on the calling thread,
    /// and returns when all have finished. `body` must call `barrier.wait()` the same number of times
    /// in every part.
    func run(parts: Int, _ body: @escaping @Sendable (Int, StepBarrier) -> Void) {
        let barrier = StepBarrier(parties: max(1, parts))
        guard parts > 1 else {
            body(0, barrier)
            return
        }
        jobLock.lock()
        defer { jobLock.unlock() }
        while helpers.count < parts - 1 { startHelper(index: helpers.count) }
        remaining.store(parts - 1, ordering: .sequentiallyConsistent)
        for (index, helper) in helpers.prefix(parts - 1).enumerated() {
            helper.job = Job(part: index + 1, barrier: barrier, body: body)
            helper.posted.add(1, ordering: .sequentiallyConsistent)
            if helper.sleeping.load(ordering: .sequentiallyConsistent) { helper.wake.signal() }
        }
        body(0, barrier)
        StepBarrier.await({ self.remaining.load(ordering: .sequentiallyConsistent) == 0 }, sleepers: callerSleeping,
                          condition: finished)
    }

    private func startHelper(index: Int) {
        let helper = Helper()
        helpers.append(helper)
        let thread = Thread { self.helperLoop(helper) }  // the team lives as long as the process
        thread.name = "lunette.encoder.\(index + 1)"
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func helperLoop(_ helper: Helper) {
        var done = 0
        let clock = ContinuousClock()
        while true {
            var deadline = clock.now + Self.idleSpin
            while helper.posted.load(ordering: .acquiring) == done {
                if clock.now < deadline { continue }
                helper.sleeping.store(true, ordering: .sequentiallyConsistent)
                if helper.posted.load(ordering: .sequentiallyConsistent) == done { helper.wake.wait() }
                helper.sleeping.store(false, ordering: .sequentiallyConsistent)
                deadline = clock.now + Self.idleSpin
            }
            done += 1
            if let job = helper.job { job.body(job.part, job.barrier) }
            if remaining.subtract(1, ordering: .sequentiallyConsistent).newValue == 0,
                callerSleeping.load(ordering: .sequentiallyConsistent) > 0
            {
                finished.lock()
                finished.broadcast()
                finished.unlock()
            }
        }
    }
}
