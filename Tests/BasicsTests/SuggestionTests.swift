import Basics
import Testing

@Suite struct SuggestionTests {
    @Test(arguments: [
        ("", "abc", 3), ("abc", "", 3), ("abc", "abc", 0), ("kitten", "sitting", 3), ("epoch", "epochs", 1),
        ("epcohs", "epochs", 1), ("flaw", "lawn", 2), ("fine_tune", "fine-tune", 1),
    ])
    func editDistance(_ a: String, _ b: String, _ expected: Int) {
        #expect(Suggestion.editDistance(a, b) == expected)
        #expect(Suggestion.editDistance(b, a) == expected)
    }

    @Test func closestPicksTheNearestLikelyTypo() {
        let keys = ["epochs", "seed", "learning_rate", "batch_size"]
        #expect(Suggestion.closest(to: "epoch", in: keys) == "epochs")
        #expect(Suggestion.closest(to: "EPOCHS", in: keys) == "epochs")
        #expect(Suggestion.closest(to: "learning-rate", in: keys) == "learning_rate")
        #expect(Suggestion.closest(to: "xyz", in: keys) == nil)
        // A third of the word's length: "sed" (3 letters) allows 1 edit.
        #expect(Suggestion.closest(to: "sed", in: keys) == "seed")
        #expect(Suggestion.closest(to: "sd", in: keys) == nil)
    }

    @Test func hintWording() {
        #expect(Suggestion.hint(for: "fine_tune", in: ["fine-tune", "split"]) == "did you mean 'fine-tune'?")
        #expect(Suggestion.hint(for: "zzz", in: ["fine-tune", "split"]) == nil)
    }
}
