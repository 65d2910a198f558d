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
    /// - Complexity: O(*n* log *n* + *n* · *d*) for *n* claims of folder depth *d*.
    static func conflicts(_ claims: [OutputClaim], acrossFilesOnly: Bool) -> [Diagnostic] {
        let ordered = claims.sorted { a, b in
            let la = a.location ?? SourceLocation(file: "", line: 0, column: 0)
            let lb = b.location ?? SourceLocation(file: "", line: 0, column: 0)
            return (la.file, la.line, la.column, a.keyPath) < (lb.file, lb.line, lb.column, b.keyPath)
        }
        var diagnostics: [Diagnostic] = []
        // The earliest claim of each path, and of each folder that holds a claimed path, so each
        // claim is checked in O(depth) instead of against every earlier one.
        var byPath: [String: [OutputClaim]] = [:]
        var byFolder: [String: [OutputClaim]] = [:]
        for claim in ordered {
            let ancestors = folders(of: claim.path)
            var candidates: [(OutputClaim, String)] = (byPath[claim.path] ?? []).map { ($0, "is also written by") }
            for folder in ancestors {
                candidates += (byPath[folder] ?? []).map { ($0, "is inside an output of") }
            }
            candidates += (byFolder[claim.path] ?? []).map { ($0, "contains an output of") }
            let eligible = candidates.filter { !acrossFilesOnly || $0.0.location?.file != claim.location?.file }
            if let (earlier, relation) = eligible.min(by: { order($0.0, $1.0) }) {
                let whose = acrossFilesOnly ? earlier.ownerInProject : earlier.owner
                let place = earlier.location.map { " (\($0), \(earlier.keyPath))" } ?? ""
                diagnostics.append(Diagnostic.error(
                    "output '\(claim.path)' \(relation) \(whose)", at: claim.location, keyPath: claim.keyPath,
                    hint: "\(whose) declares '\(earlier.path)'\(place); give each stage its own output path",
                    sourceLine: claim.sourceLine))
            }
            byPath[claim.path, default: []].append(claim)
            for folder in ancestors { byFolder[folder, default: []].append(claim) }
        }
        return diagnostics
    }

    /// The folders above `path`: `a/b/c` → `a`, `a/b`.
    private static func folders(of path: String) -> [String] {
        var result: [String] = []
        var index = path.startIndex
        while let slash = path[index...].firstIndex(of: "/") {
            result.append(String(path[..<slash]))
            index = path.index(after: slash)
        }
        return result
    }

    private static func order(_ a: OutputClaim, _ b: OutputClaim) -> Bool {
        let la = a.location ?? SourceLocation(file: "", line: 0, column: 0)
        let lb = b.location ?? SourceLocation(file: "", line: 0, column: 0)
        return (la.file, la.line, la.column, a.keyPath) < (lb.file, lb.line, lb.column, b.keyPath)
    }

    private var ownerInProject: String { project.map { "\(owner) in project '\($0)'" } ?? owner }

}
