/// A text to encode, optionally paired with a second text (`[CLS] text [SEP] pair [SEP]`).
public struct TextInput: Sendable, Hashable, ExpressibleByStringLiteral {
    /// The first (or only) text.
    public var text: String
    /// The optional second text.
    public var pair: String?

    /// Creates an input from a text and an optional second text.
    public init(_ text: String, pair: String? = nil) {
        self.text = text
        self.pair = pair
    }

    public init(stringLiteral value: String) { self.init(value) }
}
