import Basics

/// A deterministic stand-in for an LLM: augments seed rows with no network and no judge.
///
/// It exists so example projects and tests run without credentials. It is **not** a language
/// model: it writes no new ideas, only variations of the seed rows, and it cannot label anything
/// (``complete(_:)`` always fails). Each variation starts from one seed example and applies one to
/// three edits to each text field, drawn from a ``SeededGenerator`` seeded by the provider's seed
/// and the call index:
///
/// - **swap** two neighbouring words;
/// - **delete** a word (when more than two are left);
/// - **insert** a word taken from another example of the call (same label);
/// - **recombine**: the first part of this example's field joined to the last part of another's.
///
/// Labels are inherited from the example the variation started from, so give one call examples of
/// one label. The same seed, call index and examples always give the same variations.
public struct OfflineProvider: LLMProvider {
    public let seed: Int

    public init(seed: Int) {
        self.seed = seed
    }

    /// Always throws: the offline provider has no judge.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        throw OfflineProvider.cannotJudge
    }

    /// The error for anything but augmentation.
    public static let cannotJudge = ProviderError(
        .unsupported, "the offline provider cannot label rows; configure an LLM provider",
        remedy: "declare an openai-compatible or anthropic provider and name it with provider: on the run")

    /// An example to vary: text fields by name (`input`, `output`) and a label.
    public struct Example: Hashable, Sendable {
        public var texts: [String: String]
        public var label: String
        /// The position of the example this one was made from, in the list given to ``augment``.
        public var source: Int

        public init(texts: [String: String], label: String, source: Int = 0) {
            self.texts = texts
            self.label = label
            self.source = source
        }
    }

    /// `count` variations of `examples` for call number `call`.
    public func augment(_ examples: [Example], count: Int, call: Int) -> [Example] {
        guard !examples.isEmpty, count > 0 else { return [] }
        var generator = SeededGenerator(seed: UInt64(bitPattern: Int64(seed)) ^ (UInt64(call) &* 0x9E37_79B9_7F4A_7C15))
        var results: [Example] = []
        for _ in 0..<count {
            let sourceIndex = generator.nextIndex(below: examples.count)
            let base = examples[sourceIndex]
            var texts: [String: String] = [:]
            for field in base.texts.keys.sorted() {
                var words = OfflineProvider.words(base.texts[field] ?? "")
                let edits = 1 + generator.nextIndex(below: 3)
                for _ in 0..<edits {
                    let donor = OfflineProvider.words(examples[generator.nextIndex(below: examples.count)].texts[field] ?? "")
                    OfflineProvider.edit(&words, donor: donor, using: &generator)
                }
                texts[field] = words.joined(separator: " ")
            }
            results.append(Example(texts: texts, label: base.label, source: sourceIndex))
        }
        return results
    }

    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
    }

    /// One random edit of `words`.
    static func edit(_ words: inout [String], donor: [String], using generator: inout SeededGenerator) {
        switch generator.nextIndex(below: 4) {
        case 0 where words.count >= 2:
            let index = generator.nextIndex(below: words.count - 1)
            words.swapAt(index, index + 1)
        case 1 where words.count > 2:
            words.remove(at: generator.nextIndex(below: words.count))
        case 2 where !donor.isEmpty:
            let word = donor[generator.nextIndex(below: donor.count)]
            words.insert(word, at: generator.nextIndex(below: words.count + 1))
        case 3 where words.count >= 2 && donor.count >= 2:
            let cut = 1 + generator.nextIndex(below: words.count - 1)
            let from = 1 + generator.nextIndex(below: donor.count - 1)
            words = Array(words[..<cut]) + Array(donor[from...])
        default:
            if !donor.isEmpty { words.append(donor[generator.nextIndex(below: donor.count)]) }
        }
    }
}
