import Basics

/// One output path declared by one custom stage, remembered to find two stages writing one file.
struct OutputClaim: Sendable {
    /// Workspace-relative output path.
    let path: String
    let location: SourceLocation?
    let sourceLine: String?
    /// `runs.<run>.stages.<stage>.outputs[<i>]`.
    let keyPath: String
    /// `stage 'x' of run 'y'` (plus `in project 'p'` across manifests).
    let owner: String
    let project: String?

    /// Errors for every claim that writes the same path as an earlier one, or a path inside an earlier
    /// one's folder (or around it). "Earlier" is file, then line, then column order; the error is on the
    /// later claim and its note names the earlier.
    ///
    /// - Parameter acrossFilesOnly: Only pair claims from different manifests (`loadAll` uses this;
    ///   pairs inside one manifest were reported when it was loaded).
    /// - Complexity: O(*n*²) in the number of claims, which is small (a few per custom stage).
    static func conflicts(_ claims: [OutputClaim], acrossFilesOnly: Bool) -> [Diagnostic] {
        let ordered = claims.sorted { a, b in
            let la = a.location ?? SourceLocation(file: "", line: 0, column: 0)
            let lb = b.location ?? SourceLocation(file: "", line: 0, column: 0)
            return (la.file, la.line, la.column, a.keyPath) < (lb.file, lb.line, lb.column, b.keyPath)
        }
        var diagnostics: [Diagnostic] = []
        for (index, claim) in ordered.enumerated() {
            for earlier in ordered[..<index] {
                if acrossFilesOnly, earlier.location?.file == claim.location?.file { continue }
                guard let relation = relation(of: claim.path, to: earlier.path) else { continue }
                let whose = acrossFilesOnly ? earlier.ownerInProject : earlier.owner
                let place = earlier.location.map { " (\($0), \(earlier.keyPath))" } ?? ""
                diagnostics.append(Diagnostic.error(
                    "output '\(claim.path)' \(relation) \(whose)", at: claim.location, keyPath: claim.keyPath,
                    hint: "\(whose) declares '\(earlier.path)'\(place); give each stage its own output path",
                    sourceLine: claim.sourceLine))
                break
            }
        }
        return diagnostics
    }

    private var ownerInProject: String { project.map { "\(owner) in project '\($0)'" } ?? owner }

    /// How `path` collides with `other`: the same file, inside its folder, or around it; nil when apart.
    private static func relation(of path: String, to other: String) -> String? {
        if path == other { return "is also written by" }
        if path.hasPrefix(other + "/") { return "is inside an output of" }
        if other.hasPrefix(path + "/") { return "contains an output of" }
        return nil
    }
}
