import Foundation

/// Turns paths written in a manifest (relative to the manifest's folder) into normalised
/// workspace-relative paths, and answers whether they exist.
///
/// `../examples/data/x.csv` in `workflows/demo.yaml` becomes `examples/data/x.csv`. `.` and empty
/// components are dropped and `..` is applied; a path that climbs above the workspace root, or an
/// absolute path outside it, is refused ("path escapes the workspace") so a manifest can only ever read
/// and write inside its workspace. An absolute path inside the workspace is accepted and made relative.
struct PathResolver: Sendable {
    /// The workspace root, absolute and standardised.
    let workspaceRoot: URL
    /// The manifest's folder, workspace-relative (`workflows`).
    let manifestFolder: String

    init(workspaceRoot: URL, manifestPath: String) {
        self.workspaceRoot = workspaceRoot.standardizedFileURL
        let components = manifestPath.split(separator: "/").dropLast()
        self.manifestFolder = components.joined(separator: "/")
    }

    /// Why a written path cannot be used.
    enum Problem: Error, Equatable {
        case empty
        case escapesWorkspace
    }

    /// The normalised workspace-relative path for `written`.
    func resolve(_ written: String) -> Result<String, Problem> {
        let trimmed = written.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return .failure(.empty) }
        if trimmed.hasPrefix("/") {
            let root = workspaceRoot.path.hasSuffix("/") ? workspaceRoot.path : workspaceRoot.path + "/"
            let normalised = Self.normalise(trimmed.split(separator: "/").map(String.init))
            guard let absolute = normalised.map({ "/" + $0 }), absolute.hasPrefix(root) else {
                return .failure(.escapesWorkspace)
            }
            let relative = String(absolute.dropFirst(root.count))
            return relative.isEmpty ? .failure(.empty) : .success(relative)
        }
        let components = manifestFolder.split(separator: "/").map(String.init)
            + trimmed.split(separator: "/").map(String.init)
        guard let normalised = Self.normalise(components) else { return .failure(.escapesWorkspace) }
        return normalised.isEmpty ? .failure(.empty) : .success(normalised)
    }

    /// The components joined with `.`/empty dropped and `..` applied; nil when `..` climbs past the start.
    static func normalise(_ components: [String]) -> String? {
        var kept: [String] = []
        for component in components {
            switch component {
            case "", ".": continue
            case "..":
                guard kept.popLast() != nil else { return nil }
            default: kept.append(component)
            }
        }
        return kept.joined(separator: "/")
    }

    /// The absolute URL of a workspace-relative path.
    func url(_ relative: String) -> URL { workspaceRoot.appendingPathComponent(relative) }

    /// Whether a workspace-relative path exists; `isDirectory` tells which kind it is.
    func exists(_ relative: String) -> (exists: Bool, isDirectory: Bool) {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url(relative).path, isDirectory: &isDirectory)
        return (exists, isDirectory.boolValue)
    }
}
