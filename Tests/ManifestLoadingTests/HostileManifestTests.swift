import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

/// Manifests written to hurt: deep nesting, bytes that are not text, and paths that try to leave the
/// workspace (`../`, absolute, through symlinks). Each is refused with a located error, quickly.
/// (The alias bomb is in ``YAMLErrorTests``; `../../../etc/passwd.csv` in ``ManifestErrorTests``.)
@Suite("Hostile manifests")
struct HostileManifestTests {
    private func load(_ yaml: String, setUp: (URL) throws -> Void = { _ in }) throws -> ManifestLoadResult {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": yaml])
        try setUp(workspace.root)
        return workspace.load("demo.yaml")
    }

    private func loadBytes(_ bytes: [UInt8]) throws -> ManifestLoadResult {
        let workspace = try TestWorkspace()
        try Data(bytes).write(to: workspace.root.appendingPathComponent("workflows/demo.yaml"))
        return workspace.load("demo.yaml")
    }

    @Test("10,000 levels of flow nesting, or 1,200 of block nesting, stop at libyaml's limit of 1,000 with the line",
          arguments: ["flow", "block"])
    func deepNesting(style: String) throws {
        var yaml = "project: demo\nruns:"
        if style == "flow" {
            yaml += " " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
        } else {
            yaml += "\n"
            for level in 1...1_200 { yaml += String(repeating: " ", count: level) + "- \n" }
        }
        let clock = ContinuousClock()
        var result: ManifestLoadResult?
        let elapsed = try clock.measure { result = try load(yaml) }
        let error = try #require(result).onlyError()
        #expect(error.message == "the manifest nests more than 1000 levels deep")
        #expect(error.location?.line == (style == "flow" ? 2 : 1001))  // where the 1,001st level opens
        #expect(error.hint == "real manifests nest a few levels; write the values out flat")
        #expect(elapsed < .seconds(3))
    }

    @Test("an alias bomb made of mappings is refused like one made of lists")
    func mappingAliasBomb() throws {
        var yaml = "project: demo\nm0: &m0 {a: x, b: x, c: x, d: x, e: x, f: x, g: x, h: x, i: x, j: x}\n"
        for level in 1...9 {
            let members = (0..<10).map { "k\($0): *m\(level - 1)" }.joined(separator: ", ")
            yaml += "m\(level): &m\(level) {\(members)}\n"
        }
        yaml += "runs: *m9\n"
        let clock = ContinuousClock()
        var result: ManifestLoadResult?
        let elapsed = try clock.measure { result = try load(yaml) }
        let error = try #require(result).onlyError()
        #expect(error.message == "the manifest expands to more than 100000 YAML nodes through anchors and aliases")
        #expect(elapsed < .seconds(2))
    }

    @Test("a plain manifest of 6,000 runs (over 100,000 nodes, no alias) loads: it is no alias bomb")
    func plainLargeManifest() throws {
        var yaml = "project: demo\nruns:\n"
        for index in 0..<6_000 {
            yaml += "  r\(index): { metric: toxicity, test_set: ../data/toxicity-test.csv, seed: \(index), "
                + "training_set: { upload: ../data/support-logs.jsonl }, train: { epochs: 2, batch_size: 8 } }\n"
        }
        let clock = ContinuousClock()
        var result: ManifestLoadResult?
        let elapsed = try clock.measure { result = try load(yaml) }
        let loaded = try #require(result)
        #expect(loaded.errors.isEmpty, "\(loaded.errors.prefix(3).map { $0.rendered() })")
        #expect(loaded.project?.runs.count == 6_000)
        #expect(elapsed < .seconds(20))
    }

    @Test("a long plain list is no alias bomb either, while a small alias bomb inside it still is")
    func longListAndBomb() throws {
        let items = Array(repeating: "\"@load.rows\"", count: 110_000).joined(separator: ", ")
        let plain = Manifest.withRun("    stages: { s: { command: \"true\", inputs: [\(items)] } }")
        let loaded = try load(plain)
        #expect(loaded.errors.isEmpty, "\(loaded.errors.prefix(3).map { $0.rendered() })")
        #expect(loaded.project?.runs.first?.stages.first?.inputs.count == 110_000)

        var bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            bomb += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let error = try load(bomb + plain).onlyError()
        #expect(error.message == "the manifest expands to more than 100000 YAML nodes through anchors and aliases")
        #expect(error.keyPath == "a4")
    }

    @Test("a NUL byte written into a path (\"\\0\") is refused at load, at the path")
    func nulInPath() throws {
        let error = try load(Manifest.withRun().replacingOccurrences(
            of: "test_set: ../data/toxicity-test.csv", with: #"test_set: "../data/toxicity-test.csv\0.txt""#)).onlyError()
        #expect(error.message == "a path must not contain a NUL byte")
        #expect(error.keyPath == "runs.r.test_set")
        #expect(error.location == Basics.SourceLocation(file: "workflows/demo.yaml", line: 9, column: 15))
    }

    @Test("invalid UTF-8 is reported at the line and column of its first bad byte")
    func invalidUTF8() throws {
        let bytes = Array("project: demo\nruns:\n  r:\n    description: caf".utf8) + [0xE9] + Array(" au lait\n".utf8)
        let error = try loadBytes(bytes).onlyError()
        #expect(error.message == "the manifest is not valid UTF-8 text (byte 0xE9)")
        #expect(error.location == Basics.SourceLocation(file: "workflows/demo.yaml", line: 4, column: 21))
        #expect(error.hint == "save the file as UTF-8")
    }

    @Test("a NUL byte is reported at its line and column")
    func nulByte() throws {
        let bytes = Array("project: demo\nruns:\n  r: {met".utf8) + [0] + Array("ric: toxicity}\n".utf8)
        let error = try loadBytes(bytes).onlyError()
        #expect(error.message == "cannot read the manifest: control characters are not allowed")
        #expect(error.location == Basics.SourceLocation(file: "workflows/demo.yaml", line: 3, column: 10))
    }

    @Test("an absolute path outside the workspace is refused; one inside it is made relative")
    func absolutePaths() throws {
        let outside = try load(Manifest.withRun().replacingOccurrences(
            of: "test_set: ../data/toxicity-test.csv", with: "test_set: /etc/passwd.csv")).onlyError()
        #expect(outside.message == "path escapes the workspace: /etc/passwd.csv")
        #expect(outside.keyPath == "runs.r.test_set")

        let workspace = try TestWorkspace()
        let inside = workspace.root.appendingPathComponent("data/toxicity-test.csv").path
        try Data(Manifest.withRun().replacingOccurrences(of: "../data/toxicity-test.csv", with: inside).utf8)
            .write(to: workspace.root.appendingPathComponent("workflows/demo.yaml"))
        let project = try workspace.load("demo.yaml").get()
        #expect(project.runs.first?.testSet.path == "data/toxicity-test.csv")
    }

    @Test("a data file that is a symlink to a file outside the workspace is refused, naming the link")
    func symlinkedFileOutside() throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-outside-\(UUID().uuidString).csv")
        try Data("input,label\nsecret,true\n".utf8).write(to: outside)
        defer { try? FileManager.default.removeItem(at: outside) }
        let result = try load(Manifest.withRun().replacingOccurrences(of: "toxicity-test.csv", with: "linked.csv")) { root in
            try FileManager.default.createSymbolicLink(
                atPath: root.appendingPathComponent("data/linked.csv").path, withDestinationPath: outside.path)
        }
        let error = try result.onlyError()
        let resolved = try #require(realpathString(outside.path))
        #expect(error.message == "path escapes the workspace through a symlink: ../data/linked.csv (data/linked.csv -> \(resolved))")
        #expect(error.keyPath == "runs.r.test_set")
        #expect(error.location?.line == 9)
        #expect(error.hint?.hasPrefix("copy the file into the workspace") == true)
    }

    @Test("an output written through a symlinked folder that leads out of the workspace is refused")
    func outputThroughSymlinkedFolder() throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-outside-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        let yaml = Manifest.withRun("""
                stages:
                  leak: { command: "echo x > ../build/leak.txt", outputs: [../build/leak.txt] }
            """)
        let error = try load(yaml) { root in
            try FileManager.default.createSymbolicLink(
                atPath: root.appendingPathComponent("build").path, withDestinationPath: outside.path)
        }.onlyError()
        #expect(error.message.hasPrefix("path escapes the workspace through a symlink: ../build/leak.txt (build -> "))
        #expect(error.keyPath == "runs.r.stages.leak.outputs[0]")
    }

    @Test("a dangling symlink that would lead out of the workspace is refused too")
    func danglingSymlinkOutside() throws {
        let yaml = Manifest.withRun("""
                stages:
                  leak: { command: "true", outputs: [../build/out.txt] }
            """)
        let error = try load(yaml) { root in
            try FileManager.default.createSymbolicLink(
                atPath: root.appendingPathComponent("build").path, withDestinationPath: "../../nowhere-\(UUID().uuidString)")
        }.onlyError()
        #expect(error.message.hasPrefix("path escapes the workspace through a symlink: ../build/out.txt (build -> /"))
    }

    @Test("symlinks that stay inside the workspace are followed as before")
    func symlinkInside() throws {
        let result = try load(Manifest.withRun().replacingOccurrences(of: "../data/toxicity-test.csv", with: "../linked/tox.csv")) { root in
            try FileManager.default.createSymbolicLink(
                atPath: root.appendingPathComponent("linked").path, withDestinationPath: "data")
            try FileManager.default.createSymbolicLink(
                atPath: root.appendingPathComponent("data/tox.csv").path,
                withDestinationPath: root.appendingPathComponent("data/toxicity-test.csv").path)
        }
        #expect(result.errors.isEmpty, "\(result.diagnostics.rendered())")
        #expect(result.project?.runs.first?.testSet.path == "linked/tox.csv")
    }

    private func realpathString(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
