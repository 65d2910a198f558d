import Basics
import Foundation
import ManifestLoading

/// What the last `lunette run` that found every stage up to date read, kept in
/// `cache/up-to-date.stamp` so that the same run, asked again, can answer without loading the
/// manifests, planning or executing anything while none of it has changed.
///
/// A no-op run's verdict is a function of what it read: the manifests (the kept manifest load's
/// questions, see ``ManifestMemo``), the input files and base models, the locks, scores, feedback,
/// registry and settings files, each stage's index entry and output objects, the outputs in the
/// workspace, and the store's state (``RunStore/RunStore/stateGeneration()``). The stamp lists each
/// of those files with its `stat` answer (kind, size, modification and change time, inode and
/// device: what git's index and the stat cache trust) and the store's generation, plus ``key``: the request
/// (targets, registration) and the kept load's key (this executable, the task types, the folders).
/// It holds while asking every question again gives the same answers, the way ninja decides from
/// its log and `stat` alone: for 1,400 stages about 5,600 questions on both cores, a 46 ms no-op
/// where the full check takes about 160 ms (BENCHMARKS.md, "Workflow engine").
///
/// It is written only at the end of a run that ran, restored and failed nothing and left the
/// store's state as it found it, and only when no file it lists changed after that run began
/// (change time at or after the pending marker's, which the run writes before reading anything:
/// git's "racily clean" rule): a file edited while the run checked it is never vouched for. Every
/// other run replaces it with the pending marker when it starts, so a run that ends otherwise, or
/// is killed, leaves no stamp behind. `lunette run --verbose`, `--force`, `--dry-run`, `--push` and
/// a remote cache never read it. The rule compares change times from one clock: files on a network
/// file system whose server's clock lags this machine's could be vouched for too early.
struct UpToDateStamp: Equatable {
    /// Bump when the file's shape or what it must list changes.
    static let format = 1
    /// The file's name in the workspace's `cache/` folder.
    static let fileName = "up-to-date.stamp"
    /// What the file holds while a run that may write a stamp is under way.
    static let pendingMarker = Data("pending\n".utf8)

    /// The digest of what the answer depends on besides the files (``Workspace/stampKey(for:)``).
    var key: String
    /// ``RunStore/RunStore/stateGeneration()`` when the stamp was written.
    var generation: Int64
    /// The manifest warnings the run printed (printed again when the stamp answers).
    var warnings: [Diagnostic]
    /// Each stage of the plan, in plan order: its id and action key.
    var stages: [Stage]
    /// Each question (`kind:absolute path`, see ``ManifestLoading/FileFacts``) and its answer.
    var facts: [Fact]

    struct Stage: Equatable {
        var id: String
        var key: String
    }

    struct Fact: Equatable {
        var question: String
        var answer: String
    }

    private struct Header: Codable {
        var format: Int
        var key: String
        var generation: Int64
        var warnings: [Diagnostic]
        var stages: Int
        var facts: Int
    }

    /// The file's bytes: a JSON header line; one `stage-id TAB key` line per stage; then each fact
    /// as `question NUL answer NUL` (answers such as a folder listing hold line breaks; no path or
    /// answer holds a NUL).
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes = [UInt8](
            try encoder.encode(
                Header(format: Self.format, key: key, generation: generation, warnings: warnings, stages: stages.count,
                       facts: facts.count)))
        bytes.reserveCapacity(bytes.count + stages.count * 100 + facts.count * 160)
        bytes.append(UInt8(ascii: "\n"))
        for stage in stages {
            bytes += stage.id.utf8
            bytes.append(UInt8(ascii: "\t"))
            bytes += stage.key.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        for fact in facts {
            bytes += fact.question.utf8
            bytes.append(0)
            bytes += fact.answer.utf8
            bytes.append(0)
        }
        return Data(bytes)
    }

    /// The stamp in `data`, or `nil` when it is the pending marker, another format, or cut short.
    static func decoded(from data: Data) -> UpToDateStamp? {
        let bytes = [UInt8](data)
        guard let headerEnd = bytes.firstIndex(of: UInt8(ascii: "\n")),
            let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[..<headerEnd])),
            header.format == format,
            // Each stage takes at least 2 bytes and each fact 2: counts a damaged file cannot hold are refused.
            header.stages >= 0, header.facts >= 0, header.stages + header.facts <= bytes.count
        else { return nil }
        var position = headerEnd + 1
        var stages: [Stage] = []
        stages.reserveCapacity(header.stages)
        for _ in 0..<header.stages {
            guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")),
                let tab = bytes[position..<end].firstIndex(of: UInt8(ascii: "\t"))
            else { return nil }
            stages.append(Stage(
                id: String(decoding: bytes[position..<tab], as: UTF8.self),
                key: String(decoding: bytes[(tab + 1)..<end], as: UTF8.self)))
            position = end + 1
        }
        var facts: [Fact] = []
        facts.reserveCapacity(header.facts)
        for _ in 0..<header.facts {
            guard let middle = bytes[position...].firstIndex(of: 0),
                let end = bytes[(middle + 1)...].firstIndex(of: 0)
            else { return nil }
            facts.append(Fact(
                question: String(decoding: bytes[position..<middle], as: UTF8.self),
                answer: String(decoding: bytes[(middle + 1)..<end], as: UTF8.self)))
            position = end + 1
        }
        guard position == bytes.count else { return nil }
        return UpToDateStamp(
            key: header.key, generation: header.generation, warnings: header.warnings, stages: stages, facts: facts)
    }

    /// Whether the `stat` answers among `facts` all changed before `marker` (a change time in ns):
    /// a file changed at or after the run began may have changed after the run read it.
    static func settledBefore(_ marker: Int64, _ facts: [Fact]) -> Bool {
        facts.allSatisfy { fact in
            guard fact.question.hasPrefix("status:"), let changed = FileFacts.changeTime(inStatus: fact.answer) else {
                return true
            }
            return changed < marker
        }
    }
}
