/// A credential (an API key) that never shows itself.
///
/// `description`, `debugDescription` and string interpolation all give `<redacted>`; only
/// ``revealedValue`` reads the value, and only a transport should call it, to build a header.
///
/// ```swift
/// let key = Secret("sk-123")
/// print("key: \(key)")          // key: <redacted>
/// ```
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The secret itself. Use it only to build a request header.
    public var revealedValue: String { value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
