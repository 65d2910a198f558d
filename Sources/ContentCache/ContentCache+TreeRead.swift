import Basics
import Foundation

extension ContentCache {
    /// The bytes of the file at `path` inside the directory artifact `directory`, verified against
    /// the tree's digest for it; `nil` when the tree or the file's object is not in this cache, the
    /// tree does not list `path`, or the bytes do not match (a damaged object is left for
    /// `lunette cache verify` to quarantine).
    ///
    /// For small files read without materialising the whole folder (a report's `report.json`).
    public func fileData(at path: String, inDirectory directory: ContentHash) -> Data? {
        guard let treeData = try? FileIO.readAll(objectPath(directory)), ContentHash.of(treeData) == directory,
            let tree = try? TreeManifest.parse(treeData, objectPath: objectPath(directory)),
            let entry = tree.entries.first(where: { $0.path == path }),
            let data = try? FileIO.readAll(objectPath(entry.digest)), ContentHash.of(data) == entry.digest
        else { return nil }
        return data
    }

    /// The object file of the member at `path` of the stored directory `directory`, as its tree
    /// names it; `nil` when the tree is missing, corrupt or has no such member.
    public func memberObjectURL(at path: String, inDirectory directory: ContentHash) -> URL? {
        guard let treeData = try? FileIO.readAll(objectPath(directory)), ContentHash.of(treeData) == directory,
            let tree = try? TreeManifest.parse(treeData, objectPath: objectPath(directory)),
            let entry = tree.entries.first(where: { $0.path == path })
        else { return nil }
        return objectURL(entry.digest)
    }
}
