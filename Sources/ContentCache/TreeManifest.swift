import Basics
import Foundation

/// The tree object that names a directory artifact: every regular file under it, sorted by path.
///
/// Encoded as canonical JSON (``Basics/JSONValue/canonicalData``), so equal directories give equal
/// bytes and therefore equal digests:
/// ```json
/// {"entries":[{"digest":"sha256:…","executable":false,"path":"a/b.txt","size":12}]}
/// ```
/// Paths are relative, `/`-separated, and never contain `.`, `..` or empty components; entries are
/// sorted by the UTF-8 bytes of their path. Empty folders are not recorded.
struct TreeManifest: Hashable, Sendable {
    struct Entry: Hashable, Sendable {
        var path: String
        var digest: ContentHash
        var size: Int64
        var executable: Bool
    }

    var entries: [Entry]

    init(entries: [Entry]) {
        self.entries = entries.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
    }

    /// The canonical JSON bytes whose digest names the directory.
    var canonicalData: Data {
        let items: [JSONValue] = entries.map { entry in
            .object([
                "path": .string(entry.path), "digest": .string(entry.digest.description),
                "size": .int(Int(entry.size)), "executable": .bool(entry.executable),
            ])
        }
        return JSONValue.object(["entries": .array(items)]).canonicalData
    }

    /// Parses a tree object, rejecting malformed entries and unsafe paths.
    /// - Parameter objectPath: The object's file, for error messages.
    static func parse(_ data: Data, objectPath: String) throws -> TreeManifest {
        func malformed(_ what: String) -> CacheError {
            CacheError(
                .corrupt, "not a valid tree object: \(what)", path: objectPath,
                remedy: "run 'lunette cache verify' and re-run the stage that produced this directory")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw malformed("not JSON")
        }
        guard let items = value["entries"]?.arrayValue else { throw malformed("no 'entries' list") }
        var entries: [Entry] = []
        entries.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let path = item["path"]?.stringValue, let digestText = item["digest"]?.stringValue,
                let digest = ContentHash(parsing: digestText), let size = item["size"]?.intValue, size >= 0,
                let executable = item["executable"]?.boolValue
            else { throw malformed("entry \(index) lacks path, digest, size or executable") }
            guard isSafeRelativePath(path) else {
                throw CacheError(
                    .unsafePath, "tree entry \(index) has the unsafe path '\(path)'", path: objectPath,
                    remedy: "entries must be relative paths without '.' or '..'; remove this object with 'lunette cache gc'")
            }
            entries.append(Entry(path: path, digest: digest, size: Int64(size), executable: executable))
        }
        return TreeManifest(entries: entries)
    }

    /// Whether `path` is relative, `/`-separated, and free of empty, `.` and `..` components.
    static func isSafeRelativePath(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\0") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".."
        }
    }
}
