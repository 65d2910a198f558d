import MLCore
import Testing

/// `LUNETTE_THREADS` is read in one place, ``ThreadCount/fromEnvironment(_:)``, by one rule.
@Suite struct ThreadCountTests {
    @Test("a positive integer is used; anything else gives 2", arguments: [
        ("4", 4), ("1", 1), (" 3 ", 3), ("16", 16),
        ("0", 2), ("-3", 2), ("abc", 2), ("", 2), ("2.5", 2),
    ])
    func rule(_ text: String, _ expected: Int) {
        #expect(ThreadCount.fromEnvironment(["LUNETTE_THREADS": text]) == expected)
    }

    @Test func unsetGivesTheFallback() {
        #expect(ThreadCount.fromEnvironment([:]) == ThreadCount.fallback)
        #expect(ThreadCount.fallback == 2)
        #expect(ThreadCount.variable == "LUNETTE_THREADS")
    }
}
