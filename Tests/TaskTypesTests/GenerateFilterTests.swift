import Basics
import Testing

@testable import Scoring
@testable import TaskTypes

/// ``GenerateFilter``: which generated rows are dropped as leaks or duplicates.
@Suite struct GenerateFilterTests {
    @Test func textWithoutLettersOrDigitsIsComparedExactlyOnly() {
        var filter = GenerateFilter(
            fields: ["input"], eval: [CanonicalRow(row: 2, input: "!!", label: "true")],
            seeds: [CanonicalRow(row: 3, input: "...", label: "false")])
        #expect(filter.admit(CanonicalRow(row: 10, input: "👍", label: "true")) == nil)  // "" like "!!", but not equal
        #expect(filter.admit(CanonicalRow(row: 11, input: "???", label: "false")) == nil)
        #expect(filter.admit(CanonicalRow(row: 12, input: "???", label: "false")) == .duplicateExact)
        #expect(filter.admit(CanonicalRow(row: 13, input: "!!", label: "false")) == .evalExact)
        #expect(filter.admit(CanonicalRow(row: 14, input: "...", label: "false")) == .seedExact)
        // Text with letters still matches by normalised text.
        #expect(filter.admit(CanonicalRow(row: 15, input: "Hello, world", label: "true")) == nil)
        #expect(filter.admit(CanonicalRow(row: 16, input: "hello world!", label: "true")) == .duplicateNormalised)
    }
}
