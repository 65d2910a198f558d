import Foundation

/// A fresh folder under the system's temporary directory, removed by ``remove()``.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-cache-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }

    func callAsFunction(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    /// Writes `text` at `relative`, creating folders, and returns its URL.
    @discardableResult
    func write(_ text: String, to relative: String, executable: Bool = false) throws -> URL {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: file.path)
        return file
    }

    /// Regular files under `relative`, as sorted relative paths.
    func files(under relative: String) -> [String] {
        let base = url.appendingPathComponent(relative).path
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var result: [String] = []
        while let name = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: base + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue {
                result.append(name)
            }
        }
        return result.sorted()
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

func permissions(_ url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

func contents(_ url: URL) throws -> String { String(decoding: try Data(contentsOf: url), as: UTF8.self) }

/// Flips the first byte of a (read-only) object in place, keeping its size.
func damage(_ url: URL) throws {
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
    var data = try Data(contentsOf: url)
    data[0] ^= 0xFF
    try data.write(to: url)
}
