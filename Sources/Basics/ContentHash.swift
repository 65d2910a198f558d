import Crypto
import Foundation

/// A SHA-256 digest that names a piece of content: a file, an artifact or an action.
///
/// Written as `sha256:<64 lowercase hex digits>` everywhere it leaves the process (lock files,
/// JSON, the store, object paths), so the algorithm can change later without ambiguity.
///
/// ```swift
/// let hash = ContentHash.of(Data("hello".utf8))
/// print(hash)          // sha256:2cf24dba…
/// ```
public struct ContentHash: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The 64 lowercase hexadecimal digits of the digest.
    public let hex: String

    /// Creates a hash from its 64 hexadecimal digits, or returns `nil` when they are malformed.
    public init?(hex: String) {
        let lower = hex.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy({ ContentHash.isHexDigit($0) }) else { return nil }
        self.hex = lower
    }

    /// Parses `sha256:<hex>` (the form written by ``description``), or returns `nil`.
    public init?(parsing text: String) {
        guard text.hasPrefix("sha256:") else { return nil }
        self.init(hex: String(text.dropFirst("sha256:".count)))
    }

    init<D: Sequence>(digest: D) where D.Element == UInt8 {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(64)
        for byte in digest {
            utf8.append(ContentHash.hexDigits[Int(byte >> 4)])
            utf8.append(ContentHash.hexDigits[Int(byte & 0x0F)])
        }
        self.hex = String(decoding: utf8, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The hash of some bytes.
    public static func of(_ data: Data) -> ContentHash {
        ContentHash(digest: SHA256.hash(data: data))
    }

    /// The hash of a string's UTF-8 bytes.
    public static func of(_ text: String) -> ContentHash {
        of(Data(text.utf8))
    }

    /// `sha256:<hex>`.
    public var description: String { "sha256:" + hex }

    /// The first 12 hex digits, for humans.
    public var short: String { String(hex.prefix(12)) }

    public static func < (lhs: ContentHash, rhs: ContentHash) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let hash = ContentHash(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected 'sha256:' followed by 64 hex digits, found '\(text)'")
        }
        self = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102)
    }
}

/// An incremental SHA-256 over bytes fed in pieces.
public struct ContentHasher: Sendable {
    private var state = SHA256()

    public init() {}

    /// Feeds more bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { state.update(bufferPointer: bytes) }

    /// Feeds more bytes.
    public mutating func update(_ data: Data) { state.update(data: data) }

    /// Feeds a string's UTF-8 bytes.
    public mutating func update(_ text: String) { state.update(data: Data(text.utf8)) }

    /// The digest of everything fed so far.
    public func finalize() -> ContentHash { ContentHash(digest: state.finalize()) }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
