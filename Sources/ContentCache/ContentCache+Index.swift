import Basics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ContentCache {
    /// The record stored for an action key, when it can be reused.
    ///
    /// Cheap: reads one small JSON file and `stat`s each output object (``hasObject(_:)``).
    /// - Returns: `nil` when there is no entry, it can't be read or decoded, it names another key, or
    ///   any output object is missing or has the wrong size.
    public func record(for key: ContentHash) -> ActionRecord? {
        guard let data = try? FileIO.readAll(indexEntryPath(key)),
            let record = ActionRecord(json: data), record.key == key,
            record.outputs.values.allSatisfy(hasObject)
        else { return nil }
        return record
    }

    /// Stores (or replaces) the index entry for `record.key`, atomically.
    /// - Throws: ``CacheError`` (`.io`).
    public func store(_ record: ActionRecord) throws {
        let path = indexEntryPath(record.key)
        do {
            try FileIO.makeDirectory((path as NSString).deletingLastPathComponent)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(try encoder.encode(record), to: path)
        } catch let error as CacheError {
            throw error
        } catch {
            throw CacheError(
                .io, "cannot write the index entry", path: path, remedy: "check that the cache folder is writable",
                cause: error)
        }
    }

    /// Removes the index entry for `key`; does nothing when there is none.
    public func removeRecord(for key: ContentHash) throws {
        let path = indexEntryPath(key)
        guard unlink(path) == 0 || errno == ENOENT else { throw FileIO.ioError("cannot remove", path: path) }
    }
}
