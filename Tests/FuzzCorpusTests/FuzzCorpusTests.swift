import Foundation
@_spi(Fuzzing) import TaskTypes
import Testing
import _FuzzTargets

/// Replays every committed fuzz input (`Fuzz/Corpus/<target>/` and `Fuzz/Regressions/<target>/`)
/// through its target in-process, so every `swift test` re-checks the seeds and every crash the
/// fuzzer ever found.
///
/// A file named `ok-…` must be accepted and one named `bad-…` refused with an error; any other
/// name (inputs libFuzzer saved) only has to keep the invariants (``InvariantViolation``).
@Suite("Fuzz corpora and regressions")
struct FuzzCorpusTests {
    /// The repository's `Fuzz/` folder.
    static let fuzzFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    /// The inputs committed for `target` under `kind` (`Corpus` or `Regressions`), sorted.
    static func inputs(_ kind: String, _ target: FuzzTarget) -> [URL] {
        let folder = fuzzFolder.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && !$0.hasPrefix("README") }.sorted().map(folder.appendingPathComponent)
    }

    @Test("every seed and regression input is answered, as its name says, within the invariants",
          arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) async throws {
        let seeds = Self.inputs("Corpus", target)
        #expect(seeds.count >= 8, "Fuzz/Corpus/\(target.rawValue) should hold a seed corpus")
        let sandbox = try FuzzSandbox()
        for file in seeds + Self.inputs("Regressions", target) {
            let data = try Data(contentsOf: file)
            let outcome: FuzzOutcome
            do {
                outcome = try await target.run(data, in: sandbox)
            } catch {
                Issue.record("\(file.lastPathComponent): \(error)")
                continue
            }
            let name = file.lastPathComponent
            if name.hasPrefix("ok-") {
                #expect(!outcome.isRejected, "\(name) was refused: \(outcome.text)")
            } else if name.hasPrefix("bad-") {
                #expect(outcome.isRejected, "\(name) was accepted: \(outcome.text)")
            }
        }
    }

    /// Fuzz/Regressions/traces/crash-3562…: `"span_id":"\ud83d\ube00"` trapped in `JSONValue.parse`
    /// (UInt32 overflow on a high surrogate without its low one). It now imports, the lone surrogate as U+FFFD.
    @Test("the unpaired-surrogate trace that crashed the importer imports with U+FFFD")
    func unpairedSurrogateRegression() throws {
        let file = Self.fuzzFolder.appendingPathComponent("Regressions/traces/crash-35621390deee3257c545a0dd3bceac912dba66c8")
        let imported = try FuzzEntryPoints.importTraces(try Data(contentsOf: file), path: "crash.jsonl")
        #expect(imported.spans == 1)
        let row = try #require(imported.rows[.llmSpan]?.first)
        #expect(row.id == "\u{FFFD}\u{BE00}")
        #expect(row.input == "\u{0}nul")
    }

    @Test("the corpus has accepted and refused seeds for every target", arguments: FuzzTarget.allCases)
    func corpusCoversBothOutcomes(_ target: FuzzTarget) {
        let names = Self.inputs("Corpus", target).map(\.lastPathComponent)
        #expect(names.contains { $0.hasPrefix("ok-") })
        #expect(names.contains { $0.hasPrefix("bad-") })
    }
}
