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
    /// The run and stage that declare it.
    let stage: StageName

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

    /// Errors for every claim that is, contains or lies inside a path the project reads: a data file (test
    /// set, upload, import) or a custom stage's input that no stage writes (one that some stage writes is
    /// that stage's to replace, when the reader runs after it: see
    /// ``unorderedReads(_:reads:acrossFilesOnly:)``). A stage's outputs are deleted before it runs, so such
    /// a claim would delete what the project reads. One error per claim, naming the earliest such read.
    ///
    /// - Parameter acrossFilesOnly: Only pair a claim with reads from other manifests (`loadAll`).
    /// - Complexity: O((*n* + *m*) · *d*) for *n* claims and *m* reads of folder depth *d*.
    static func readConflicts(_ claims: [OutputClaim], reads: [ReadPath], acrossFilesOnly: Bool) -> [Diagnostic] {
        let written = Set(claims.map(\.path))
        func isWritten(_ path: String) -> Bool {
            written.contains(path) || folders(of: path).contains(where: written.contains)
        }
        var byPath: [String: [ReadPath]] = [:]
        var byFolder: [String: [ReadPath]] = [:]
        for read in reads where !read.isStageInput || !isWritten(read.path) {
            byPath[read.path, default: []].append(read)
            for folder in folders(of: read.path) { byFolder[folder, default: []].append(read) }
        }
        var diagnostics: [Diagnostic] = []
        for claim in claims {
            var candidates: [(ReadPath, String)] = (byPath[claim.path] ?? []).map { ($0, "is read by \($0.keyPath)") }
            candidates += (byFolder[claim.path] ?? []).map { ($0, "contains '\($0.path)', which \($0.keyPath) reads") }
            for folder in folders(of: claim.path) {
                candidates += (byPath[folder] ?? []).map { ($0, "is inside '\($0.path)', which \($0.keyPath) reads") }
            }
            let eligible = candidates.filter { !acrossFilesOnly || $0.0.location?.file != claim.location?.file }
            guard let (read, relation) = eligible.min(by: { a, b in
                let la = a.0.location ?? SourceLocation(file: "", line: 0, column: 0)
                let lb = b.0.location ?? SourceLocation(file: "", line: 0, column: 0)
                return (la.file, la.line, la.column, a.0.keyPath) < (lb.file, lb.line, lb.column, b.0.keyPath)
            }) else { continue }
            let place = read.location.map { " (\($0))" } ?? ""
            diagnostics.append(Diagnostic.error(
                "output '\(claim.path)' \(relation)", at: claim.location, keyPath: claim.keyPath,
                hint: "\(read.keyPath)\(place) reads '\(read.path)', and \(deletionHint)", sourceLine: claim.sourceLine))
        }
        return diagnostics
    }

    /// Errors for every custom stage input that is, or lies inside, another stage's output when the
    /// reading stage need not run after that stage: the owner deletes its outputs before it runs, so it
    /// would delete a hand-written file (`inputs: [../scripts/prep.py]` under `outputs: [../scripts]`),
    /// or the reader would read a half-written one. A stage runs after another only through `after:`,
    /// an `@stage.output` input or an input equal to the other's output (``ReadPath/upstream``, wired as
    /// `StageExpansion` wires them); stages of other runs or manifests never wait for it. One error per
    /// input, at the input, naming the earliest such output.
    ///
    /// - Parameter acrossFilesOnly: Only pair an input with outputs from other manifests (`loadAll`).
    /// - Complexity: O(*n* + *m* · *d*) for *n* claims and *m* reads of folder depth *d*.
    static func unorderedReads(_ claims: [OutputClaim], reads: [ReadPath], acrossFilesOnly: Bool) -> [Diagnostic] {
        var byPath: [String: [OutputClaim]] = [:]
        for claim in claims { byPath[claim.path, default: []].append(claim) }
        var diagnostics: [Diagnostic] = []
        for read in reads {
            guard let reader = read.stage else { continue }
            let owners = ([read.path] + folders(of: read.path)).flatMap { byPath[$0] ?? [] }.filter { claim in
                if acrossFilesOnly { return claim.location?.file != read.location?.file }
                return claim.stage.run != reader.run
                    || (claim.stage.name != reader.name && !read.upstream.contains(claim.stage.name))
            }
            guard let owner = owners.min(by: order) else { continue }
            let whose = acrossFilesOnly ? owner.ownerInProject : owner.owner
            let relation = owner.path == read.path ? "is an output of" : "is inside '\(owner.path)', an output of"
            let moveOut = "move the file out of \(owner.stage.name)'s output '\(owner.path)'"
            let remedy = if acrossFilesOnly {
                "stages of other projects do not wait for it: \(moveOut)"
            } else if owner.stage.run == reader.run {
                "add `after: \(owner.stage.name)` to stage '\(reader.name)', or \(moveOut)"
            } else {
                "stages of other runs do not wait for it: \(moveOut), or read it from a stage of run "
                    + "'\(owner.stage.run)' with `after: \(owner.stage.name)`"
            }
            diagnostics.append(Diagnostic.error(
                "input '\(read.path)' \(relation) \(whose), which stage '\(reader.name)' of run '\(reader.run)' "
                    + "does not run after",
                at: read.location, keyPath: read.keyPath,
                hint: "stage '\(owner.stage.name)' deletes its outputs before it runs: \(remedy)",
                sourceLine: read.sourceLine))
        }
        return diagnostics
    }

    /// Why an output may not overlap what the workspace keeps or the project reads, and what to do.
    static let deletionHint = "a stage's outputs are deleted before it runs: declare a path only this stage "
        + "writes, e.g. ../build/<stage>/"

    /// How `path` overlaps `protected` (`is`, `is inside`, `contains`), or nil when it does not.
    static func overlap(of path: String, with protected: String) -> String? {
        if path == protected { return "is" }
        if path.hasPrefix(protected + "/") { return "is inside" }
        if protected.hasPrefix(path + "/") { return "contains" }
        return nil
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

/// A path the project reads, which no custom stage may declare as an output (nor a folder around it, nor
/// a path inside it): see ``OutputClaim/readConflicts(_:reads:acrossFilesOnly:)``.
struct ReadPath: Sendable {
    /// Workspace-relative path.
    let path: String
    /// Where it is read: `runs.r.test_set`, `runs.r.stages.s.inputs[0]`.
    let keyPath: String
    let location: SourceLocation?
    /// A custom stage's input, which another stage may write; a data file (test set, upload, import) is
    /// never a stage's to write.
    let isStageInput: Bool
    /// The custom stage whose input it is; nil for a data file.
    var stage: StageName? = nil
    /// The stages of the same run that ``stage`` runs after, directly or not (`after:`, `@stage.output`,
    /// an input equal to their output): their outputs are written before it reads.
    var upstream: Set<String> = []
    /// The input's line as a diagnostic shows it.
    var sourceLine: String? = nil
}

/// A custom stage: its run and its name.
struct StageName: Hashable, Sendable {
    let run: String
    let name: String
}

/// A part of the workspace that no output may be, contain or lie inside: `workflows/` (manifests and
/// locks), `cache/`, the configured cache and models folders, `.git`.
struct ProtectedPath: Sendable {
    /// Workspace-relative path.
    let path: String
    /// What it is, for the message: `the workspace's workflows/ folder (its manifests and locks)`.
    let what: String
}
