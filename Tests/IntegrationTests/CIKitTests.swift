import Foundation
import Testing

/// The CI kit (issue 16, docs/ci.md): `scripts/ci-kit-test` runs the lunette and git commands of the
/// GitHub Actions workflow and the GitLab CI job on a scratch repository made from the bundled
/// project, without the base model, on the `lunette` built beside this test bundle.
@Suite("CI kit: docs/ci.md and scripts/ci-kit-test")
struct CIKitTests {
    static let root = URL(fileURLWithPath: #filePath).appendingPathComponent("../../..").standardized

    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs `scripts/ci-kit-test` from the repository root with `LUNETTE_BIN` set to `binary`.
    static func runKit(binary: String) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("scripts/ci-kit-test").path]
        process.currentDirectoryURL = root
        var environment = ProcessInfo.processInfo.environment
        environment["LUNETTE_BIN"] = binary
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
    }

    @Test("scripts/ci-kit-test passes on the built binary with an empty models folder")
    func kitPasses() throws {
        let result = try Self.runKit(binary: ProcessTests.binary.path)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.hasSuffix("ci-kit-test: ok\n"), "\(result.output)")
        #expect(!result.output.contains("FAILED"), "\(result.output)")
    }

    @Test("scripts/ci-kit-test stops with a message naming the missing binary")
    func kitNamesAMissingBinary() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString)/lunette").path
        let result = try Self.runKit(binary: missing)
        #expect(result.status == 1)
        #expect(result.output == "ci-kit-test: FAILED: no lunette binary at '\(missing)': build it (scripts/setup) or set LUNETTE_BIN\n")
    }

    @Test("docs/ci.md embeds docs/ci/github-actions.yml and docs/ci/gitlab-ci.yml verbatim, in yaml blocks",
          arguments: ["docs/ci/github-actions.yml", "docs/ci/gitlab-ci.yml"])
    func documentEmbedsTheFiles(file: String) throws {
        let document = try String(contentsOf: Self.root.appendingPathComponent("docs/ci.md"), encoding: .utf8)
        let yaml = try String(contentsOf: Self.root.appendingPathComponent(file), encoding: .utf8)
        #expect(yaml.hasSuffix("\n") && !yaml.hasSuffix("\n\n"), "\(file) should end with exactly one newline")
        #expect(document.contains("```yaml\n\(yaml)```\n"), "docs/ci.md does not show \(file) as it is: copy it in again")
        // What the workflows run is what the script tests (it checks the same lines; here they are
        // named once more so that a reworded file fails with its name).
        #expect(yaml.contains("libyaml-dev libsqlite3-dev libopenblas-dev pkg-config"), "\(file)")
        #expect(yaml.contains("lunette check"), "\(file)")
        #expect(yaml.contains("lunette metrics diff \"origin/"), "\(file)")
        // push/pull do not exist yet: they may appear only in commented-out lines.
        for line in yaml.split(separator: "\n") where line.contains("lunette pull") || line.contains("lunette push") {
            #expect(line.trimmingCharacters(in: .whitespaces).hasPrefix("#"), "\(file): \(line)")
        }
    }
}
