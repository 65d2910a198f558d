import Foundation

/// A fresh folder under the system's temporary directory; call ``remove()`` when done.
///
/// ```swift
/// let temp = try TemporaryDirectory()
/// defer { temp.remove() }
/// try temp.write("a,b\n", to: "data/test.csv")
/// ```
public struct TemporaryDirectory: Sendable {
    public let url: URL

    /// Creates `<tmp>/lunette-<prefix>-<uuid>`.
    public init(prefix: String = "tests") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "lunette-\(prefix)-\(UUID().uuidString.lowercased())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    /// The URL of `relative` inside the folder.
    public func callAsFunction(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    /// Writes `text` at `relative`, creating folders, and returns its URL.
    @discardableResult
    public func write(_ text: String, to relative: String) throws -> URL {
        try write(Data(text.utf8), to: relative)
    }

    /// Writes `data` at `relative`, creating folders, and returns its URL.
    @discardableResult
    public func write(_ data: Data, to relative: String) throws -> URL {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file
    }

    /// The text of the file at `relative`, or `nil` when it can't be read.
    public func read(_ relative: String) -> String? {
        (try? Data(contentsOf: url.appendingPathComponent(relative))).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Names of the entries directly in `relative` (the folder itself by default), sorted.
    public func entries(in relative: String = "") -> [String] {
        let folder = relative.isEmpty ? url : url.appendingPathComponent(relative)
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    /// Removes the folder and everything in it, making read-only entries writable first.
    public func remove() {
        if let walker = FileManager.default.enumerator(atPath: path) {
            for case let relative as String in walker {
                chmod(url.appendingPathComponent(relative).path, 0o755)
            }
        }
        try? FileManager.default.removeItem(at: url)
    }
}
