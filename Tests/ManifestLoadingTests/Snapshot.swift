import Foundation
import Testing

/// Compares `text` with `Snapshots/<name>`; with `RECORD_SNAPSHOTS=1` it writes the baseline instead
/// and fails saying so, so a recording run is never mistaken for a passing one.
func assertSnapshot(
    _ text: String, named name: String, filePath: String = #filePath,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws {
    let sourceFolder = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
        try FileManager.default.createDirectory(at: sourceFolder, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: sourceFolder.appendingPathComponent(name))
        Issue.record("Recorded new baseline for \(name); rerun without RECORD_SNAPSHOTS", sourceLocation: sourceLocation)
        return
    }
    let snapshots = try #require(Bundle.module.url(forResource: "Snapshots", withExtension: nil))
    let url = snapshots.appendingPathComponent(name)
    guard let data = try? Data(contentsOf: url) else {
        Issue.record("No baseline \(name); record one with RECORD_SNAPSHOTS=1 swift test", sourceLocation: sourceLocation)
        return
    }
    let expected = String(decoding: data, as: UTF8.self)
    #expect(text == expected, "snapshot \(name) differs; rerun with RECORD_SNAPSHOTS=1 to accept", sourceLocation: sourceLocation)
}
