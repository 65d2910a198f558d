import Basics
import Testing

@Suite struct DiagnosticTests {
    @Test func rendersLocationSourceLineCaretAndHint() {
        let diagnostic = Diagnostic.error(
            "unknown key 'epoch'", at: SourceLocation(file: "workflows/demo.yaml", line: 14, column: 7),
            keyPath: "runs.tox.train.epoch", hint: "did you mean 'epochs'?", sourceLine: "      epoch: 3")
        #expect(
            diagnostic.rendered() == """
                workflows/demo.yaml:14:7: error: unknown key 'epoch' (runs.tox.train.epoch)
                 14 |       epoch: 3
                    |       ^
                note: did you mean 'epochs'?
                """)
    }

    @Test func caretKeepsTabsSoItLinesUpWithTheSource() {
        let diagnostic = Diagnostic.warning(
            "odd value", at: SourceLocation(file: "w.yaml", line: 3, column: 7), sourceLine: "\tkey:\tvalue")
        #expect(diagnostic.rendered() == "w.yaml:3:7: warning: odd value\n 3 | \tkey:\tvalue\n   | \t    \t^")
    }

    @Test func caretAtColumnOne() {
        let diagnostic = Diagnostic.error(
            "bad", at: SourceLocation(file: "a.yaml", line: 120, column: 1), sourceLine: "runz:")
        #expect(diagnostic.rendered() == "a.yaml:120:1: error: bad\n 120 | runz:\n     | ^")
    }

    @Test func withoutLocationOnlyTheMessageAndHint() {
        let diagnostic = Diagnostic(.note, "see the docs", keyPath: "", hint: "run lunette init")
        #expect(diagnostic.rendered() == "note: see the docs\nnote: run lunette init")
        #expect(!diagnostic.isError)
    }

    @Test func arraysRenderSortedByPlaceSeparatedByBlankLines() {
        let diagnostics = [
            Diagnostic.error("second", at: SourceLocation(file: "b.yaml", line: 1, column: 1)),
            Diagnostic.warning("first", at: SourceLocation(file: "a.yaml", line: 9, column: 2)),
            Diagnostic.error("third", at: SourceLocation(file: "b.yaml", line: 10, column: 1)),
        ]
        #expect(diagnostics.hasErrors)
        #expect(
            diagnostics.rendered()
                == "a.yaml:9:2: warning: first\n\nb.yaml:1:1: error: second\n\nb.yaml:10:1: error: third")
        #expect(![Diagnostic.warning("w")].hasErrors)
    }
}
