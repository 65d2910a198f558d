import Basics
import Foundation
import WorkflowModel
import Yams

/// Reads the workspace settings file, `lunette.yaml` at the workspace root (committed), and its
/// uncommitted override `lunette.local.yaml` (same shape; one person's or one CI runner's remote).
///
/// ```yaml
/// remote:
///   url: s3://team-bucket/lunette     # or file:///mnt/shared/lunette-cache, or a folder path
///   endpoint: http://127.0.0.1:9000   # S3-compatible stores other than AWS
///   region: us-east-1
///   path_style: true                   # endpoint/bucket/key addressing (default: true with an endpoint)
///   jobs: 8                            # transfers at once (1–64)
///   timeout: 60                        # seconds a request may wait for the server's next byte (0.1–86400)
///   retries: 4                         # retries of a failed request (0–20)
///   retry_delay: 0.2                   # seconds of the first backoff, doubling (0–60)
///   multipart_threshold: 67108864      # bytes above which an object goes up in parts
///   part_size: 16777216                # bytes per part (at least 5 MiB)
/// ```
///
/// The transfer settings (``Basics/RemoteTransferOption``) are checked here, each error located at
/// its value; the `LUNETTE_REMOTE_*` variables override them when a remote opens.
///
/// Credentials never go in these files: a key that looks like one (`access_key`, `secret_access_key`,
/// `aws_secret_access_key`, `session_token`, `password`…) is an error, as for provider keys.
public enum WorkspaceSettingsReader {
    /// The committed settings file and its local override, workspace-relative.
    public static let fileName = "lunette.yaml"
    public static let localFileName = "lunette.local.yaml"

    static let remoteKeys = ["url", "endpoint", "region", "path_style"] + RemoteTransferOption.all.map(\.key)
    static let credentialWords = ["access_key", "secret", "token", "password", "credential"]

    /// The remote the workspace at `root` declares: `lunette.local.yaml`'s when it has one, else
    /// `lunette.yaml`'s; `nil` when neither does.
    /// - Returns: the settings (nil when absent or invalid) and every diagnostic.
    public static func remote(root: URL) -> (settings: RemoteSettings?, diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        for name in [localFileName, fileName] {
            guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(name).path) else { continue }
            let (settings, found) = read(String(decoding: data, as: UTF8.self), file: name)
            diagnostics += found
            if found.hasErrors { return (nil, diagnostics) }
            if let settings { return (settings, diagnostics) }
        }
        return (nil, diagnostics)
    }

    /// Parses one settings file's text.
    public static func read(_ text: String, file: String) -> (settings: RemoteSettings?, diagnostics: [Diagnostic]) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var diagnostics: [Diagnostic] = []
        /// - Parameter showLine: false where the line may hold a secret (it is then not quoted).
        func error(_ message: String, _ node: Node?, _ keyPath: String, hint: String? = nil, showLine: Bool = true) {
            let line = (node?.mark?.line ?? 1)
            let column = (node?.mark?.column ?? 1)
            diagnostics.append(.error(
                message, at: SourceLocation(file: file, line: line, column: column), keyPath: keyPath, hint: hint,
                sourceLine: showLine && line - 1 < lines.count ? lines[line - 1] : nil))
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            diagnostics.append(.error("not valid YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1)))
            return (nil, diagnostics)
        }
        guard let root, case .mapping(let top) = root else {
            if let root, !root.isNull { error("expected a mapping at the top of \(file)", root, "") }
            return (nil, diagnostics)
        }
        var remote: RemoteSettings?
        for (keyNode, value) in top {
            let key = keyNode.string ?? ""
            guard key == "remote" else {
                error("unknown key '\(key)'", keyNode, key, hint: Suggestion.hint(for: key, in: ["remote"]) ?? "the only key is `remote`")
                continue
            }
            if let url = value.string {
                remote = RemoteSettings(url: url)
                continue
            }
            guard case .mapping(let pairs) = value else {
                error("expected a URL or a mapping with `url`", value, "remote")
                continue
            }
            var settings = RemoteSettings(url: "")
            for (optionNode, option) in pairs {
                let name = optionNode.string ?? ""
                let keyPath = "remote.\(name)"
                if credentialWords.contains(where: { name.lowercased().contains($0) }) {
                    error(
                        "credentials never go in \(file) (\(keyPath))", optionNode, keyPath,
                        hint: "delete it and export AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or set AWS_PROFILE to a profile of ~/.aws/credentials",
                        showLine: false)
                    continue
                }
                switch name {
                case "url": settings.url = option.string ?? ""
                case "endpoint": settings.endpoint = option.string
                case "region": settings.region = option.string
                case "path_style":
                    guard let flag = option.bool else {
                        error("expected true or false", option, keyPath)
                        continue
                    }
                    settings.pathStyle = flag
                case _ where RemoteTransferOption.all.contains(where: { $0.key == name }):
                    guard let transfer = RemoteTransferOption.all.first(where: { $0.key == name }) else { continue }
                    guard case .scalar(let scalar) = option, scalar.style == .plain, let value = Double(scalar.string),
                        transfer.accepts(value)
                    else {
                        let found: String
                        switch option {
                        case .scalar(let scalar): found = scalar.style == .plain ? "'\(scalar.string)'" : "the quoted string \"\(scalar.string)\""
                        case .mapping: found = "a mapping"
                        default: found = "a list"
                        }
                        error(
                            "expected \(transfer.meaning) \(transfer.accepted), not \(found)", option, keyPath,
                            hint: "write a plain number \(transfer.accepted), or leave `\(name)` out for the default (\(transfer.variable) overrides it)")
                        continue
                    }
                    settings.transfer[name] = value
                default:
                    error("unknown key '\(name)'", optionNode, keyPath,
                          hint: Suggestion.hint(for: name, in: remoteKeys) ?? "valid keys: " + remoteKeys.joined(separator: ", "))
                }
            }
            if settings.url.isEmpty {
                error("remote needs a `url` (s3://bucket/prefix or a folder)", value, "remote.url")
                continue
            }
            remote = settings
        }
        return (diagnostics.hasErrors ? nil : remote, diagnostics)
    }
}
