import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a load asked the file system, and what it answered, recorded so that a cached load can be
/// reused only while every answer still holds.
///
/// Loading a manifest depends on its text and on a few facts about the disk: which paths exist and of
/// what kind, where symlinks lead, which manifests `workflows/` lists, which base model files are
/// installed. Every such question goes through one `FileFacts` (``PathResolver`` and the reader ask
/// nothing else), which answers it once per load and keeps the answer. `Workspace` stores the answers
/// beside a successful load (keyed by the manifests' digests); ``stillHold(_:)`` asks them again,
/// about a thousand `lstat`s for a 1,400-stage workspace, instead of parsing the YAML again.
/// `lunette run`'s up-to-date stamp asks the same questions, plus ``Question/status`` for every
/// other file a no-op read (``status(of:)``).
public final class FileFacts: @unchecked Sendable {
    /// The kinds of question.
    enum Question: String {
        /// `lstat`: `none`, `link` or `other`.
        case lstat
        /// `realpath(3)`: the resolved absolute path, or `none`.
        case realpath
        /// `readlink(2)`: the link's target as written, or `none`.
        case readlink
        /// Whether a path exists, following symlinks: `none`, `file` or `dir`.
        case exists
        /// A folder's entries, sorted, one per line; `none` when it cannot be read.
        case listing
        /// The SHA-256 of a file's bytes (a manifest the load read), or `none`.
        case digest
        /// `stat(2)`, symlinks followed: `file|dir|other SIZE MTIME_NS CTIME_NS INODE DEVICE`, or `none`.
        /// Any write, rename or `chmod` changes the change time (ctime), which no user can set.
        case status
    }

    private let lock = NSLock()
    private var answers: [String: String] = [:]

    public init() {}

    /// Every question asked so far (`kind:absolute path`) with its answer.
    public var recorded: [String: String] { lock.withLock { answers } }

    /// Whether asking every recorded question again gives the recorded answer.
    public static func stillHold(_ recorded: [String: String]) -> Bool {
        stillHold(recorded.lazy.map { ($0.key, $0.value) })
    }

    /// ``stillHold(_:)`` for questions and answers in any sequence (`kind:absolute path`, answer).
    public static func stillHold<S: Sequence<(String, String)>>(_ recorded: S) -> Bool {
        for (question, answer) in recorded {
            guard let colon = question.firstIndex(of: ":"), let kind = Question(rawValue: String(question[..<colon]))
            else { return false }
            if ask(kind, String(question[question.index(after: colon)...])) != answer { return false }
        }
        return true
    }

    /// The ``Question/status`` answer for the absolute `path`, asked now and not recorded.
    public static func status(of path: String) -> String { ask(.status, path) }

    /// The change time (ns since 1970) in a ``Question/status`` answer; `nil` for `none`.
    public static func changeTime(inStatus answer: String) -> Int64? {
        // The fourth of six space-separated fields, found without splitting (a stamp has thousands).
        let bytes = answer.utf8
        var field = 0
        var start = bytes.startIndex
        var changed: Int64?
        for index in bytes.indices where bytes[index] == UInt8(ascii: " ") {
            field += 1
            if field == 3 { start = bytes.index(after: index) }
            if field == 4 { changed = Int64(Substring(answer.utf8[start..<index])) }
        }
        return field == 5 ? changed : nil
    }

    /// The answer to `kind` about the absolute `path`: asked once per load, then remembered.
    func answer(_ kind: Question, _ path: String) -> String {
        let question = kind.rawValue + ":" + path
        if let known = lock.withLock({ answers[question] }) { return known }
        let answer = Self.ask(kind, path)
        lock.withLock { answers[question] = answer }
        return answer
    }

    /// Records the digest of the bytes a load read from `path`, as ``stillHold(_:)`` will compute it.
    func recordDigest(of data: Data, at path: String) {
        lock.withLock { answers[Question.digest.rawValue + ":" + path] = ContentHash.of(data).hex }
    }

    private static func ask(_ kind: Question, _ path: String) -> String {
        switch kind {
        case .digest:
            guard let data = FileManager.default.contents(atPath: path) else { return "none" }
            return ContentHash.of(data).hex
        case .lstat:
            var status = stat()
            guard lstat(path, &status) == 0 else { return "none" }
            return (status.st_mode & S_IFMT) == S_IFLNK ? "link" : "other"
        case .realpath:
            guard let resolved = realpath(path, nil) else { return "none" }
            defer { free(resolved) }
            return String(cString: resolved)
        case .readlink:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(path, &buffer, buffer.count - 1)
            guard count > 0 else { return "none" }
            return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        case .exists:
            var status = stat()
            guard stat(path, &status) == 0 else { return "none" }
            return (status.st_mode & S_IFMT) == S_IFDIR ? "dir" : "file"
        case .listing:
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return "none" }
            return names.sorted().joined(separator: "\n")
        case .status:
            var status = stat()
            guard stat(path, &status) == 0 else { return "none" }
            let kind = switch status.st_mode & S_IFMT {
            case S_IFREG: "file"
            case S_IFDIR: "dir"
            default: "other"
            }
            #if os(Linux)
                let modified = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
                let changed = Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec)
            #else
                let modified = Int64(status.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(status.st_mtimespec.tv_nsec)
                let changed = Int64(status.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(status.st_ctimespec.tv_nsec)
            #endif
            return "\(kind) \(status.st_size) \(modified) \(changed) \(status.st_ino) \(status.st_dev)"
        }
    }

    // MARK: Typed answers

    /// nil when nothing is at `path`, else whether it is a symlink.
    func isSymlink(_ path: String) -> Bool? {
        switch answer(.lstat, path) {
        case "none": return nil
        case "link": return true
        default: return false
        }
    }

    /// `realpath(3)` of `path`; nil when it does not exist.
    func realPath(_ path: String) -> String? {
        let answer = answer(.realpath, path)
        return answer == "none" ? nil : answer
    }

    /// The target of the symlink at `path` as written; nil when it is not one.
    func linkTarget(_ path: String) -> String? {
        let answer = answer(.readlink, path)
        return answer == "none" ? nil : answer
    }

    /// Whether something is at `path` (symlinks followed) and whether it is a folder.
    func exists(_ path: String) -> (exists: Bool, isDirectory: Bool) {
        switch answer(.exists, path) {
        case "none": return (false, false)
        case "dir": return (true, true)
        default: return (true, false)
        }
    }

    /// The names in the folder at `path`, sorted; empty when it cannot be read.
    func listing(_ path: String) -> [String] {
        let answer = answer(.listing, path)
        return answer == "none" || answer.isEmpty ? [] : answer.split(separator: "\n").map(String.init)
    }
}
