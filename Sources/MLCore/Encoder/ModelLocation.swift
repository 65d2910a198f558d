import Foundation

/// Where installed base models live: `$LUNETTE_MODELS/<name>`, else `<root>/cache/models/<name>`.
///
/// `<root>` is the nearest folder at or above the current directory that holds `workflows/` or
/// `Package.swift` (a Lunette workspace or this repository), else the current directory itself.
public enum ModelLocation {
    /// The models folder (holding one folder per base model).
    public static func modelsDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) -> URL {
        if let root = environment["LUNETTE_MODELS"], !root.isEmpty { return URL(fileURLWithPath: root) }
        var folder = currentDirectory.standardizedFileURL
        while true {
            let markers = ["workflows", "Package.swift"].map { folder.appendingPathComponent($0).path }
            if markers.contains(where: { FileManager.default.fileExists(atPath: $0) }) { break }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { folder = currentDirectory.standardizedFileURL; break }
            folder = parent
        }
        return folder.appendingPathComponent("cache/models")
    }

    /// The folder of the base model `name`.
    public static func directory(
        for name: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) -> URL {
        modelsDirectory(environment: environment, currentDirectory: currentDirectory).appendingPathComponent(name)
    }
}
