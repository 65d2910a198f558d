import Basics
import Testing

@Suite struct SeededGeneratorTests {
    @Test func sequenceIsSplitMix64() {
        // Reference values of SplitMix64 seeded with 0: pinned, because every split depends on them.
        var generator = SeededGenerator(seed: 0 as UInt64)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(generator.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func signedSeedUsesBitPattern() {
        var a = SeededGenerator(seed: -1)
        var b = SeededGenerator(seed: UInt64.max)
        #expect(a.next() == b.next())
    }

    @Test func indicesStayInBoundsAndCoverTheRange() {
        var generator = SeededGenerator(seed: 7)
        var seen = Set<Int>()
        for _ in 0..<1000 {
            let index = generator.nextIndex(below: 10)
            #expect((0..<10).contains(index))
            seen.insert(index)
        }
        #expect(seen.count == 10)
    }

    @Test func shuffleIsPinnedAndAPermutation() {
        var generator = SeededGenerator(seed: 42)
        var items = Array(0..<10)
        items.seededShuffle(using: &generator)
        #expect(items.sorted() == Array(0..<10))
        #expect(items != Array(0..<10))
        var again = Array(0..<10)
        var generator2 = SeededGenerator(seed: 42)
        again.seededShuffle(using: &generator2)
        #expect(again == items)
        #expect(items == SeededGeneratorTests.pinnedShuffle)
    }

    /// `Array(0..<10)` shuffled with seed 42; a change here changes every split ever made.
    static let pinnedShuffle = [0, 9, 5, 8, 6, 4, 7, 2, 1, 3]
}
