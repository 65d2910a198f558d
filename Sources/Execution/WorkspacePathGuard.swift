import Foundation
import TaskInterface

#if canImport(Glibc)
import Glibc
#endif

/// Re-checks a declared output's workspace path right before Lunette deletes, restores or
/// publishes it.
///
/// Manifest loading refuses paths that leave the workspace through a symlink, but only for the
/// symlinks there at load time: a stage may create one later in the same run (`ln -sfn /elsewhere
/// lk`), and clearing a later stage's output `lk/y.txt` would then delete `/elsewhere/y.txt`. So
/// each existing component of the path is `lstat`ed again just before the file system is touched;
/// a symlink must resolve inside the workspace and not into its own files (`cache/`, `workflows/`,
/// `.git`), as at load time. A dangling symlink is refused (what it would create is unknowable).
public enum WorkspacePathGuard {
    /// The workspace's own folders, which no output may reach through a symlink.
    static let protectedFolders: Set<String> = ["cache", "workflows", ".git"]

    /// Throws when `relativePath` (workspace-relative) goes through a symlink out of `root` or into
    /// its own files, or uses `..` or an absolute path.
    ///
    /// When the path crosses a symlink, where it really leads (the link's target plus the rest of
    /// the path) must not be the workspace root, nor be, contain or lie inside `cache/`,
    /// `workflows/`, `.git` or any of `protected` (the files the project reads, a cache or models
    /// folder inside the workspace): a link made during the run (`ln -sfn . lk`, then an output
    /// `lk/workflows`) must not lead the clearing of an output to them.
    /// - Parameters:
    ///   - what: what is about to happen, for the message ("clear the old copy of output 'y'").
    ///   - protected: more workspace-relative paths no output may reach through a symlink.
    /// - Throws: ``TaskInterface/TaskError`` naming the link and where it leads.
    public static func check(_ relativePath: String, in root: URL, before what: String, protected: [String] = []) throws {
        let components = relativePath.split(separator: "/").filter { $0 != "." }.map(String.init)
        guard !relativePath.hasPrefix("/"), !components.contains("..") else {
            throw TaskError(
                "refusing to \(what): \(relativePath) leaves the workspace",
                remedy: "declare outputs as paths inside the workspace")
        }
        let rootPath = root.standardizedFileURL.path
        let rootReal = realPath(rootPath) ?? rootPath
        var walked = rootPath
        var real = rootReal  // where the walked prefix really is
        var lastLink: String?
        for (index, component) in components.enumerated() {
            walked += "/" + component
            var status = stat()
            guard lstat(walked, &status) == 0 else {
                // The rest does not exist yet: it will be made where the prefix really is.
                real += "/" + components[index...].joined(separator: "/")
                break
            }
            guard status.st_mode & S_IFMT == S_IFLNK else {
                real += "/" + component
                continue
            }
            let link = String(walked.dropFirst(rootPath.count + 1))
            guard let resolved = realPath(walked) else {
                throw TaskError(
                    "refusing to \(what): \(relativePath) goes through \(link), a symlink that leads nowhere",
                    remedy: "remove the symlink \(link) (a stage may have created it), or declare the output elsewhere")
            }
            let inside = resolved == rootReal || resolved.hasPrefix(rootReal + "/")
            let top = inside ? resolved.dropFirst(rootReal.count).split(separator: "/").first.map(String.init) : nil
            guard inside, !protectedFolders.contains(top ?? "") else {
                throw TaskError(
                    "refusing to \(what): \(relativePath) goes through the symlink \(link) -> \(resolved), "
                        + (inside ? "into the workspace's own \(top ?? "")/" : "outside the workspace"),
                    remedy: "remove the symlink \(link) (a stage may have created it), or declare the output elsewhere")
            }
            real = resolved
            lastLink = link
        }
        // Without a symlink the path is the one manifest loading checked.
        guard let link = lastLink else { return }
        let target = real == rootReal ? "" : String(real.dropFirst(rootReal.count + 1))
        for guarded in protectedFolders.sorted() + protected {
            let clash = target.isEmpty || target == guarded || guarded.hasPrefix(target + "/") || target.hasPrefix(guarded + "/")
            guard !clash else {
                let relation =
                    target.isEmpty
                    ? "the workspace itself"
                    : target + (target == guarded ? "" : guarded.hasPrefix(target + "/") ? ", which holds \(guarded)" : ", inside \(guarded)")
                throw TaskError(
                    "refusing to \(what): through the symlink \(link), \(relativePath) is really \(relation)",
                    remedy: "remove the symlink \(link) (a stage may have created it), or declare the output elsewhere")
            }
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
