import Foundation
import Testing

/// Compares `text` with the golden file `Snapshots/<name>` beside the calling test file.
///
/// The golden file is read from the source tree (found through `#filePath`), so test targets need no
/// resources. `name` gets a `.txt` extension unless it has one (`plan.dot`, `plan.json`). With
/// `RECORD_SNAPSHOTS=1` in the environment the file is written instead and the test fails with
/// "Recorded new baseline", so a recording run is never mistaken for a passing one.
///
/// ```swift
/// assertSnapshot(plan.renderedText(explain: true), named: "diamond-explain")
/// ```
public func assertSnapshot(
    _ text: String, named name: String, filePath: String = #filePath,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    let fileName = name.contains(".") ? name : name + ".txt"
    let folder = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    let file = folder.appendingPathComponent(fileName)
    if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
            Issue.record(
                "Recorded new baseline \(file.path); rerun without RECORD_SNAPSHOTS", sourceLocation: sourceLocation)
        } catch {
            Issue.record("cannot record the baseline \(file.path): \(error)", sourceLocation: sourceLocation)
        }
        return
    }
    guard let data = try? Data(contentsOf: file) else {
        Issue.record(
            "no baseline \(file.path); record one with RECORD_SNAPSHOTS=1 swift test", sourceLocation: sourceLocation)
        return
    }
    let expected = String(decoding: data, as: UTF8.self)
    if text != expected {
        Issue.record(
            "snapshot \(fileName) differs; rerun with RECORD_SNAPSHOTS=1 to accept\n\(lineDiff(expected: expected, actual: text))",
            sourceLocation: sourceLocation)
    }
}

/// The first differing line of two texts, for failure messages.
func lineDiff(expected: String, actual: String) -> String {
    let a = expected.components(separatedBy: "\n")
    let b = actual.components(separatedBy: "\n")
    for index in 0..<max(a.count, b.count) {
        let left = index < a.count ? a[index] : "<end>"
        let right = index < b.count ? b[index] : "<end>"
        if left != right { return "line \(index + 1):\n  expected: \(left)\n  actual:   \(right)" }
    }
    return "(same lines; trailing bytes differ)"
}
