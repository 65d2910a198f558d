import Foundation
import Synchronization

/// A barrier for a fixed number of threads: a waiter spins for a few microseconds, then sleeps.
///
/// Spinning keeps a quiet machine's steps microseconds apart; sleeping matters on a busy one: a
/// thread that spins holds its core, so the scheduler cannot move a waiting partner onto it.
final class StepBarrier: @unchecked Sendable {
    /// How long a waiter spins before it sleeps.
    static let spin: Duration = .microseconds(50)

    let parties: Int
    private let arrived = Atomic<Int>(0)
    private let phase = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let condition = NSCondition()

    init(parties: Int) { self.parties = parties }

    /// Returns once all `parties` threads have called it (for this round).
    func wait() {
        guard parties > 1 else { return }
        let current = phase.load(ordering: .sequentiallyConsistent)
        if arrived.add(1, ordering: .sequentiallyConsistent).newValue == parties {
            arrived.store(0, ordering: .sequentiallyConsistent)
            phase.store(current &+ 1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                condition.lock()
                condition.broadcast()
                condition.unlock()
            }
            return
        }
        Self.await({ self.phase.load(ordering: .acquiring) != current }, sleepers: sleepers, condition: condition)
    }

    /// Spins on `done` for ``spin``, then sleeps on `condition` (counted in `sleepers`) until it holds;
    /// whoever makes `done` true must broadcast `condition` when `sleepers` is above zero.
    static func await(_ done: () -> Bool, sleepers: borrowing Atomic<Int>, condition: NSCondition) {
        let clock = ContinuousClock()
        let deadline = clock.now + spin
        while !done() {
            if clock.now < deadline { continue }
            condition.lock()
            sleepers.add(1, ordering: .sequentiallyConsistent)
            while !done() { condition.wait() }
            sleepers.subtract(1, ordering: .sequentiallyConsistent)
            condition.unlock()
            return
        }
    }
}
