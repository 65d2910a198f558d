import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A temporary workspace the fuzz targets write their inputs into, removed when released.
///
/// Laid out like the manifest tests' fixture workspace, so that seed manifests load:
///
/// ```
/// <tmp>/lunette-fuzz-<uuid>/
///   workspace/            the workspace root
///     workflows/          the manifest target writes workflows/fuzz.yaml here
///     data/               toxicity-test.csv, tone-test.csv, support-logs.jsonl, brand-voice-test.jsonl, traces.json
///       outside.csv       a symlink to ../../outside/secret.csv (out of the workspace)
///       elsewhere         a symlink to ../../outside (out of the workspace)
///     scripts/clean.sh
///     models/minilm-l6/   an "installed" base model (placeholder files)
///     input/              the other targets write their input here
///   outside/              files outside the workspace, which no manifest path may reach
/// ```
public final class FuzzSandbox: Sendable {
    /// The folder holding everything.
    public let root: URL
    /// The workspace root.
    public let workspace: URL

    /// Creates the folders and files under a new temporary folder.
    /// - Throws: The file system's error when they cannot be written.
    public init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-fuzz-\(UUID().uuidString)")
        root = URL(fileURLWithPath: Self.realPath(of: base.deletingLastPathComponent().path) ?? base.deletingLastPathComponent().path)
            .appendingPathComponent(base.lastPathComponent)
        workspace = root.appendingPathComponent("workspace")
        for (path, text) in Self.files {
            try write(Data(text.utf8), to: path)
        }
        try write(Data("input,label\nsecret,true\n".utf8), to: "../outside/secret.csv")
        try FileManager.default.createDirectory(at: url("workflows"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: url("input"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("scratch"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: url("data/outside.csv").path, withDestinationPath: "../../outside/secret.csv")
        try FileManager.default.createSymbolicLink(atPath: url("data/elsewhere").path, withDestinationPath: "../../outside")
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// The absolute URL of a workspace-relative path.
    public func url(_ relative: String) -> URL { workspace.appendingPathComponent(relative) }

    /// A private folder for a stage's temporary files.
    var scratch: URL { root.appendingPathComponent("scratch") }

    /// Writes `data` to a workspace-relative path, creating folders and replacing what was there.
    @discardableResult
    public func write(_ data: Data, to relative: String) throws -> URL {
        let target = url(relative).standardizedFileURL
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: target)
        return target
    }

    /// Whether a workspace-relative path, once every symlink on it is followed, still names a place
    /// inside the workspace. Components that do not exist yet are taken as written.
    func staysInside(_ relative: String) -> Bool {
        guard !relative.hasPrefix("/") else { return false }
        let components = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else { return false }
        guard let rootPath = Self.realPath(of: workspace.path) else { return false }
        var existing = workspace.path
        var rest: [Substring] = []
        for (index, component) in components.enumerated() {
            let next = existing + "/" + component
            if FileManager.default.fileExists(atPath: next) || Self.isSymlink(next) {
                existing = next
            } else {
                rest = Array(components[index...])
                break
            }
        }
        guard let resolved = Self.realPath(of: existing) else { return false }  // a dangling symlink
        let full = ([resolved] + rest.map(String.init)).joined(separator: "/")
        return full == rootPath || full.hasPrefix(rootPath + "/")
    }

    static func realPath(of path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func isSymlink(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFLNK
    }

    /// The workspace's files, as in `Tests/ManifestLoadingTests/Fixtures/workspace`.
    private static let files: [(String, String)] = [
        ("data/toxicity-test.csv", """
            input,label
            Thanks for the quick reply!,false
            You are useless and stupid.,true
            Can I change my delivery address?,false
            Shut up, idiot.,true

            """),
        ("data/tone-test.csv", """
            text,rating
            I am so happy with this!,joy
            Why was I charged twice?,annoyance
            Your order ships tomorrow.,neutral

            """),
        ("data/support-logs.jsonl", """
            {"input":"Can I return shoes?","output":"Sure thing! Returns are free for 30 days."}
            {"input":"Is it in stock?","output":"Check the site."}

            """),
        ("data/brand-voice-test.jsonl", """
            {"question":"Where is my order?","answer":"It ships today, friend!","verdict":"on_brand"}
            {"question":"Refund?","answer":"No.","verdict":"off_brand"}

            """),
        ("data/traces.json", #"[{"trace_id":"t1","spans":[{"input":"hi","output":"Hello there!"}]}]"# + "\n"),
        ("scripts/clean.sh", "#!/bin/sh\ngrep -v \"^$\" \"$1\" > \"$2\"\n"),
        ("models/minilm-l6/config.json", "{}\n"),
        ("models/minilm-l6/model.safetensors", "{}\n"),
        ("models/minilm-l6/tokenizer_config.json", "{}\n"),
        ("models/minilm-l6/vocab.txt", "{}\n"),
    ]
}
