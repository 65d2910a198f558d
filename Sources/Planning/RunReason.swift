import Basics
import WorkflowModel

/// Why a stage will run, or why it is skipped.
public enum RunReason: Hashable, Sendable {
    /// The cache holds this exact action's outputs.
    case upToDate
    /// This cache lacks the action's outputs but the remote cache has them: `lunette run` fetches
    /// them instead of running the stage (only `lunette plan` says so; planning itself reads no remote).
    case inRemote
    /// No record of this stage anywhere: it never ran.
    case neverRan
    /// `--force` asked for it.
    case forced
    /// What changed since the recorded action (lock entry), as sentences.
    case changed([String])
    /// The recorded action is the same, but its outputs are not in the cache.
    case outputMissing([String])
    /// An upstream stage will run first, so this stage's key is known only afterwards.
    case upstreamWillRun(StageID)
    /// The stage's task type is not part of this build.
    case taskNotAvailable(String)

    /// Whether the stage will execute.
    public var willRun: Bool {
        switch self {
        case .upToDate, .inRemote: return false
        default: return true
        }
    }

    /// The reason in plain words, as `lunette plan` prints it.
    public var text: String {
        switch self {
        case .upToDate: return "up to date"
        case .inRemote: return "in remote"
        case .neverRan: return "never ran"
        case .forced: return "forced (--force)"
        case .changed(let changes): return changes.joined(separator: "; ")
        case .outputMissing(let names):
            return "output \(names.joined(separator: ", ")) missing from cache"
        case .upstreamWillRun(let id): return "upstream stage \(id.stage) will re-run"
        case .taskNotAvailable(let task): return "task type '\(task)' not available yet"
        }
    }
}
