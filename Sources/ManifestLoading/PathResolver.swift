import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns paths written in a manifest (relative to the manifest's folder) into normalised
/// workspace-relative paths, and answers whether they exist.
///
/// `../examples/data/x.csv` in `workflows/demo.yaml` becomes `examples/data/x.csv`. `.` and empty
/// components are dropped and `..` is applied; a path that climbs above the workspace root, or an
/// absolute path outside it, is refused ("path escapes the workspace") so a manifest can only ever read
/// and write inside its workspace. An absolute path inside the workspace is accepted and made relative.
/// A path whose existing part goes through a symlink (to a file or a folder) that leads out of the
/// workspace is refused too: `data/big.csv -> /mnt/elsewhere/big.csv` would otherwise let a stage read or
/// write outside it. Symlinks that stay inside the workspace are fine.
struct PathResolver: Sendable {
    /// The workspace root, absolute and standardised.
    let workspaceRoot: URL
    /// The manifest's folder, workspace-relative (`workflows`).
    let manifestFolder: String
    /// The workspace root with its symlinks resolved (once: a manifest has thousands of paths), or nil
    /// when it does not exist.
    let realRoot: String?
    /// Every question asked of the file system, answered once per load and recorded (``FileFacts``).
    let facts: FileFacts

    init(workspaceRoot: URL, manifestPath: String, facts: FileFacts = FileFacts()) {
        self.workspaceRoot = workspaceRoot.standardizedFileURL
        let components = manifestPath.split(separator: "/").dropLast()
        self.manifestFolder = components.joined(separator: "/")
        self.facts = facts
        self.realRoot = facts.realPath(self.workspaceRoot.path)
    }

    /// Why a written path cannot be used.
    enum Problem: Error, Equatable {
        case empty
        /// The path names the workspace root itself (`..` from `workflows/`).
        case workspaceRoot
        /// The path holds a NUL byte, which the file system would cut it at.
        case nulByte
        case escapesWorkspace
        /// The workspace-relative `link` is a symlink to `destination`, which is outside the workspace.
        case symlinkLeavesWorkspace(link: String, destination: String)
    }

    /// The normalised workspace-relative path for `written`.
    func resolve(_ written: String) -> Result<String, Problem> {
        let trimmed = Self.trimmed(written)
        guard !trimmed.isEmpty else { return .failure(.empty) }
        guard !trimmed.unicodeScalars.contains("\0") else { return .failure(.nulByte) }
        if trimmed.hasPrefix("/") {
            let root = workspaceRoot.path.hasSuffix("/") ? workspaceRoot.path : workspaceRoot.path + "/"
            let normalised = Self.normalise(trimmed.split(separator: "/").map(String.init))
            guard let absolute = normalised.map({ "/" + $0 }), absolute.hasPrefix(root) || absolute + "/" == root else {
                return .failure(.escapesWorkspace)
            }
            let relative = String(absolute.dropFirst(min(root.count, absolute.count)))
            return relative.isEmpty ? .failure(.workspaceRoot) : checkSymlinks(relative)
        }
        let components = manifestFolder.split(separator: "/").map(String.init)
            + trimmed.split(separator: "/").map(String.init)
        guard let normalised = Self.normalise(components) else { return .failure(.escapesWorkspace) }
        return normalised.isEmpty ? .failure(.workspaceRoot) : checkSymlinks(normalised)
    }

    /// `relative` (a resolved, workspace-relative path) with the symlinks on its existing part followed:
    /// where it really is, relative to the real workspace root; `relative` itself when nothing on it is a
    /// link (or the root does not exist), nil when a link leads out (``resolve(_:)`` refused it already).
    /// `build/c` where `build -> cache` is really `cache/c`.
    func realRelative(_ relative: String) -> String? {
        guard let root = realRoot else { return relative }
        var current = root
        let components = relative.split(separator: "/")
        for (index, component) in components.enumerated() {
            let next = current == "/" ? "/" + component : current + "/" + component
            guard let isLink = facts.isSymlink(next) else {
                current = ([current] + components[index...].map(String.init)).joined(separator: "/")
                break
            }
            current = isLink ? (facts.realPath(next) ?? danglingTarget(of: next, in: current)) : next
        }
        if current == root { return "" }
        let prefix = root == "/" ? "/" : root + "/"
        return current.hasPrefix(prefix) ? String(current.dropFirst(prefix.count)) : nil
    }

    /// `text` without leading and trailing spaces and tabs (`.whitespaces`), without Foundation's
    /// bridging in the usual case where there are none.
    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last,
            CharacterSet.whitespaces.contains(first) || CharacterSet.whitespaces.contains(last)
        else { return text }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// `relative` when every symlink on its existing part leads to a place inside the workspace.
    ///
    /// Walks the path one component at a time from the (symlink-resolved) workspace root; a component
    /// that is a symlink is replaced by its resolved target, which must stay inside. The walk stops at
    /// the first component that does not exist (an output not written yet): nothing below it can be a link.
    private func checkSymlinks(_ relative: String) -> Result<String, Problem> {
        guard let root = realRoot else { return .success(relative) }
        func isInside(_ path: String) -> Bool { path == root || path.hasPrefix(root == "/" ? "/" : root + "/") }
        var current = root
        var walked: [Substring] = []
        for component in relative.split(separator: "/") {
            walked.append(component)
            let next = current == "/" ? "/" + component : current + "/" + component
            guard let isLink = facts.isSymlink(next) else { return .success(relative) }
            guard isLink else {
                current = next
                continue
            }
            let destination = facts.realPath(next) ?? danglingTarget(of: next, in: current)
            guard isInside(destination) else {
                return .failure(.symlinkLeavesWorkspace(link: walked.joined(separator: "/"), destination: destination))
            }
            current = destination
        }
        return .success(relative)
    }

    /// Where a symlink whose target does not exist points, resolved lexically against its folder.
    private func danglingTarget(of link: String, in folder: String) -> String {
        guard let target = facts.linkTarget(link) else { return link }
        let absolute = target.hasPrefix("/") ? target : folder + "/" + target
        return "/" + (Self.normaliseAbsolute(absolute.split(separator: "/").map(String.init)))
    }

    /// Like ``normalise(_:)`` for an absolute path, where `..` at the root stays at the root.
    private static func normaliseAbsolute(_ components: [String]) -> String {
        var kept: [String] = []
        for component in components {
            switch component {
            case "", ".": continue
            case "..": _ = kept.popLast()
            default: kept.append(component)
            }
        }
        return kept.joined(separator: "/")
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
        facts.exists(url(relative).path)
    }
}
