import Basics
import Foundation

extension ContentCache {
    /// The objects a directory artifact's tree object names (digest and size of each file), or `nil`
    /// when the tree object is not here or is not a valid tree: what a push uploads and a pull
    /// downloads besides the tree object itself.
    public func treeEntries(of directory: ContentHash) -> [(digest: ContentHash, size: Int64)]? {
        guard let data = try? FileIO.readAll(objectPath(directory)), ContentHash.of(data) == directory,
            let tree = try? TreeManifest.parse(data, objectPath: objectPath(directory))
        else { return nil }
        return tree.entries.map { ($0.digest, $0.size) }
    }

    /// The index entry's bytes for `key` as stored (for uploading), or `nil` when there is none.
    public func recordData(for key: ContentHash) -> Data? {
        try? FileIO.readAll(indexEntryPath(key))
    }

    /// Adopts a downloaded file as the object `expected` when its bytes hash to that digest (and,
    /// when given, have that size); the file is consumed either way.
    /// - Returns: `false` when the bytes are not those of `expected` (truncated, corrupt or
    ///   substituted): nothing is published.
    public func adopt(downloaded file: URL, as expected: ContentHash, size: Int64? = nil) throws -> Bool {
        defer { try? FileManager.default.removeItem(at: file) }
        guard let actual = try? FileIO.hash(file.path), actual.digest == expected, size.map({ $0 == actual.size }) ?? true
        else { return false }
        _ = try publish(fileAt: file)
        return true
    }

    /// Stores downloaded index-entry bytes for `key` when they decode to a record of that key whose
    /// every output object is present here (so a reader never finds a record whose objects are missing).
    /// - Returns: `false` when the bytes are not such a record: nothing is stored.
    public func adoptRecord(_ data: Data, for key: ContentHash) throws -> Bool {
        guard let record = try? JSONDecoder().decode(ActionRecord.self, from: data), record.key == key,
            record.outputs.values.allSatisfy(hasObject)
        else { return false }
        try store(record)
        return true
    }
}
