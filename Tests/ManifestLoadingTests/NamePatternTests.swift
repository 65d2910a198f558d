import Foundation
@testable import ManifestLoading
import Testing

/// The hand-written matcher of the name patterns agrees with the regular expressions it replaces.
@Suite("Name patterns")
struct NamePatternTests {
    @Test("every name pattern, on names good and bad, as NSRegularExpression says")
    func agreesWithRegularExpressions() {
        let patterns = [
            ManifestSchema.projectNamePattern, ManifestSchema.runNamePattern, ManifestSchema.providerNamePattern,
            ManifestSchema.stageNamePattern, ManifestSchema.metricNamePattern,
        ]
        let names = [
            "a", "r000", "tox-v2", "tox_v2", "tox.v2", "-a", "_a", ".a", "A", "aB", "a b", "", "é", "a/b", "a--",
            "9lives", "a.", "ﬁ", "a\u{301}",
        ]
        for pattern in patterns {
            for name in names {
                let expected = name.range(of: "^" + pattern + "$", options: .regularExpression) != nil
                #expect(ManifestReader.matches(name, pattern) == expected, "\(pattern) on \(name.debugDescription)")
            }
            // ICU's `$` also matches before a final line break, so the expression took "x\n" for a name.
            #expect(!ManifestReader.matches("x\n", pattern))
        }
    }
}
