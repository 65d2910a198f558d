import Foundation
@testable import MLCore
import Testing

/// The helper threads that share a lone text's steps, and the barrier between the steps.
@Suite("Worker team and step barrier")
struct WorkerTeamTests {
    /// Messages from the parts.
    final class Log: @unchecked Sendable {
        let lock = NSLock()
        var entries: [String] = []
        func add(_ entry: String) { lock.withLock { entries.append(entry) } }
    }

    /// Counters the parts bump from their threads.
    final class Counters: @unchecked Sendable {
        let lock = NSLock()
        var values: [Int]
        init(_ count: Int) { values = Array(repeating: 0, count: count) }
        func bump(_ index: Int) { lock.withLock { values[index] += 1 } }
        func value(_ index: Int) -> Int { lock.withLock { values[index] } }
    }

    @Test("every part runs, and no part starts a step before all finished the one before, even when a part is slow enough for the others to sleep")
    func partsMeetAtEveryStep() {
        let done = Counters(3)
        let log = Log()
        let steps = 5
        // A barrier's waiters spin 50 µs, then sleep: a part that takes 3 ms makes the others sleep.
        WorkerTeam.shared.run(parts: 3) { part, barrier in
            for step in 0..<steps {
                if part == step % 3 { usleep(3_000) }
                done.bump(part)
                barrier.wait()
                let behind = (0..<3).filter { done.value($0) < step + 1 }
                if !behind.isEmpty { log.add("part \(part) passed step \(step) before parts \(behind) finished it") }
                barrier.wait()
            }
        }
        #expect(done.values == [steps, steps, steps])
        #expect(log.entries.isEmpty, "\(log.entries)")
    }

    @Test("jobs from several callers at once take turns, each complete")
    func concurrentCallersTakeTurns() async {
        let counts = Counters(8)
        await withTaskGroup(of: Void.self) { group in
            for job in 0..<8 {
                group.addTask {
                    WorkerTeam.shared.run(parts: 2) { _, barrier in
                        counts.bump(job)
                        barrier.wait()
                    }
                }
            }
        }
        #expect(counts.values == Array(repeating: 2, count: 8))
    }

    @Test("on the tiny encoder, 1, 2 and 3 threads give the same bits for a lone text and a batch")
    func tinyEncoderIgnoresThreadCount() throws {
        let encoders = try [1, 2, 3].map { try BertEncoder.makeTiny(seed: 7, threads: $0) }
        let texts: [TextInput] = ["the cat sat on the mat", "hello world", "a dog is good", "the mat is bad"]
        let lone = try encoders[0].embed([texts[0]])
        let batch = try encoders[0].embed(texts)
        for encoder in encoders.dropFirst() {
            #expect(try encoder.embed([texts[0]]) == lone, "a lone text with \(encoder.threads) threads")
            #expect(try encoder.embed(texts) == batch, "a batch with \(encoder.threads) threads")
        }
    }
}
