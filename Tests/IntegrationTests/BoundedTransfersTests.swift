import Foundation
import Synchronization
import Testing
@testable import Workspace

/// The remote cache's transfers run at most `jobs` at once (`Workspace.bounded`), results in order.
@Suite("Bounded transfers")
struct BoundedTransfersTests {
    @Test("never more than the limit at once, every element once, results in the elements' order")
    func limit() async throws {
        let state = Mutex((running: 0, peak: 0, calls: 0))
        let results = try await Workspace.bounded(Array(0..<40), limit: 3) { value -> Int in
            state.withLock { $0.running += 1; $0.peak = max($0.peak, $0.running); $0.calls += 1 }
            try await Task.sleep(for: .milliseconds(Int.random(in: 1...8)))
            state.withLock { $0.running -= 1 }
            return value * 2
        }
        #expect(results == (0..<40).map { $0 * 2 })
        let final = state.withLock { $0 }
        #expect(final.peak == 3)
        #expect(final.calls == 40 && final.running == 0)
    }
}
