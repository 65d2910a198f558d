import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

@Suite("YAML that cannot be read")
struct YAMLErrorTests {
    @Test("a syntax error is located at Yams's mark, with the line and a caret")
    func syntaxError() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": """
            project: demo
            runs:
              r:
                metric: toxicity
               test_set: x.csv
            """])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message.hasPrefix("invalid YAML: "))
        #expect(error.location == Basics.SourceLocation(file: "workflows/demo.yaml", line: 5, column: 4))
        #expect(error.sourceLine == "   test_set: x.csv")
        #expect(error.rendered().contains(" 5 |    test_set: x.csv\n   |    ^"))
    }

    @Test("an unclosed flow mapping is a syntax error too")
    func unclosedFlow() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": "project: demo\nruns: { r: { metric: toxicity }\n"])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message.hasPrefix("invalid YAML: "))
        #expect(error.location?.line == 3)
    }

    @Test("a duplicated key points at its second occurrence, with the key path and the first line")
    func duplicateKey() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": """
            project: demo
            runs:
              r:
                metric: toxicity
                seed: 1
                test_set: ../data/toxicity-test.csv
                seed: 2
            """])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message == "duplicate key 'seed'")
        #expect(error.location == Basics.SourceLocation(file: "workflows/demo.yaml", line: 7, column: 5))
        #expect(error.keyPath == "runs.r.seed")
        #expect(error.hint == "'seed' is first given at line 5; keep one of them")
    }

    @Test("a duplicated key in a flow mapping is found on the same line")
    func duplicateFlowKey() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": "project: demo\r\nruns: { r: { seed: 1, seed: 2 } }\r\n"])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.location == Basics.SourceLocation(file: "workflows/demo.yaml", line: 2, column: 23))
        #expect(error.sourceLine == "runs: { r: { seed: 1, seed: 2 } }")
        #expect(error.keyPath == nil)
    }

    @Test("an alias bomb is refused quickly, at the key where it expands")
    func aliasBomb() throws {
        var yaml = "project: demo\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(refs)]\n"
        }
        yaml += "runs:\n  r:\n    metric: toxicity\n    description: *a9\n"
        let workspace = try TestWorkspace(manifests: ["bomb.yaml": yaml])
        let clock = ContinuousClock()
        var result: ManifestLoadResult?
        let elapsed = clock.measure { result = workspace.load("bomb.yaml") }
        let error = try #require(result).onlyError()
        #expect(error.message == "the manifest expands to more than 100000 YAML nodes through anchors and aliases")
        #expect(error.keyPath == "a4")  // a0 holds 11 nodes, so a4 holds 111,111
        #expect(elapsed < .seconds(2))
    }

    @Test("an empty manifest says what to write")
    func empty() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": "# nothing yet\n"])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message == "the manifest is empty")
    }

    @Test("a manifest that is not a mapping")
    func notAMapping() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": "- project: demo\n"])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message == "expected a mapping, found a list")
    }

    @Test("a manifest that does not exist")
    func missingManifest() throws {
        let workspace = try TestWorkspace()
        let error = try workspace.load("nope.yaml").onlyError()
        #expect(error.message == "cannot read manifest workflows/nope.yaml: no such file")
        #expect(error.location == nil)
    }
}
