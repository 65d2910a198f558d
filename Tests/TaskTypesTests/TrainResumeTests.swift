import Basics
import Foundation
import MLCore
import TaskInterface
import Testing

@testable import TaskTypes

/// The head-mode embedding memo never changes a model's bytes: a row's vector depends, in its last
/// bits, on the rows it was encoded with, so a memo hit must be exactly what encoding would give.
@Suite("Train with a partly filled or full embedding memo")
struct TrainResumeTests {
    /// A killed head-mode run leaves the embeddings of the rows it got through (here: what a run on
    /// the first 25 rows stored). The resumed run, and a run that takes every embedding from the
    /// memo, must write the folder a run without any memo writes. The 60 rows repeat after 50, so
    /// two equal rows share a chunk (and once shared a memo entry).
    @Test("a partly filled memo, and a full one, give the same model folder as no memo at all")
    func memoNeverChangesTheModel() async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = TrainFixture.tinyRows(count: 60)
        #expect(Set(rows.map(\.input)).count < rows.count)
        let memo = CountingMemo()
        _ = try await fixture.run(rows: Array(rows.prefix(25)), memo: memo, output: "killed")
        let (resumed, resumedFolder) = try await fixture.run(rows: rows, memo: memo, output: "resumed")
        let (_, freshFolder) = try await fixture.run(rows: rows, memo: nil, output: "fresh")
        #expect(resumed.metrics["embeddings_encoded"] == 60)  // the killed run's chunks are not this run's
        let fresh = try TrainFixture.files(in: freshFolder)
        let resumedFiles = try TrainFixture.files(in: resumedFolder)
        #expect(resumedFiles.keys.sorted() == fresh.keys.sorted())
        for name in fresh.keys.sorted() { #expect(resumedFiles[name] == fresh[name], "resumed: \(name) differs") }

        let (again, againFolder) = try await fixture.run(rows: rows, memo: memo, output: "again")
        #expect(again.metrics["embeddings_encoded"] == 0)
        #expect(again.metrics["embeddings_cached"] == 60)
        let againFiles = try TrainFixture.files(in: againFolder)
        for name in fresh.keys.sorted() { #expect(againFiles[name] == fresh[name], "from the memo: \(name) differs") }
    }
}
