import Basics
import Testing

@testable import RunStore

@Suite("StatEntry")
struct StatEntryTests {
    static let second: Int64 = 1_000_000_000
    let entry = StatEntry(
        path: "a.csv", size: 10, mtimeNs: 100 * second, ctimeNs: 100 * second, inode: 42, digest: .of("a"),
        recordedAtNs: 200 * second)

    @Test("an unchanged, non-racy entry matches; any changed field does not")
    func matches() {
        #expect(entry.matches(size: 10, mtimeNs: 100 * Self.second, ctimeNs: 100 * Self.second, inode: 42))
        #expect(!entry.matches(size: 11, mtimeNs: 100 * Self.second, ctimeNs: 100 * Self.second, inode: 42))
        #expect(!entry.matches(size: 10, mtimeNs: 100 * Self.second + 1, ctimeNs: 100 * Self.second, inode: 42))
        #expect(!entry.matches(size: 10, mtimeNs: 100 * Self.second, ctimeNs: 101 * Self.second, inode: 42))
        #expect(!entry.matches(size: 10, mtimeNs: 100 * Self.second, ctimeNs: 100 * Self.second, inode: 43))
    }

    @Test(
        "entries recorded within 2 s of the file's mtime are racy",
        arguments: [
            (0, true), (1_999_999_999, true), (2_000_000_000, false), (60_000_000_000, false), (-5_000_000_000, true),
        ] as [(Int64, Bool)])
    func racy(gapNs: Int64, isRacy: Bool) {
        let mtime: Int64 = 1_700_000_000 * Self.second
        #expect(StatEntry.isRacy(mtimeNs: mtime, recordedAtNs: mtime + gapNs) == isRacy)
        var racyEntry = entry
        racyEntry.mtimeNs = mtime
        racyEntry.recordedAtNs = mtime + gapNs
        #expect(racyEntry.matches(size: 10, mtimeNs: mtime, ctimeNs: 100 * Self.second, inode: 42) == !isRacy)
        #expect(StatEntry.isRacy(mtimeNs: Int64.min, recordedAtNs: Int64.max))
    }
}
