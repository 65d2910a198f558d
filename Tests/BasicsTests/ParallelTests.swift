import Basics
import Testing

@Suite struct ParallelTests {
    @Test func mapReturnsEveryValueInIndexOrder() {
        #expect(Parallel.map(1000) { $0 * $0 } == (0..<1000).map { $0 * $0 })
        #expect(Parallel.map(1) { $0 + 7 } == [7])
        #expect(Parallel.map(0) { $0 }.isEmpty)
    }

    @Test func rangesCoverEveryIndexOnceInOrder() {
        for (count, pieces) in [(10, 3), (3, 8), (0, 4), (1000, 7), (5, 0)] {
            let ranges = Parallel.ranges(count, pieces: pieces)
            #expect(ranges.count == max(pieces, 1))
            #expect(ranges.flatMap { Array($0) } == Array(0..<count), "\(count) in \(pieces)")
            #expect((ranges.map(\.count).max() ?? 0) - (ranges.map(\.count).min() ?? 0) <= 1)
        }
    }
}
