import Basics
import Foundation
import Testing

/// The one JSON parser's policy (``JSONValue/parse(bytes:)``): duplicate member names are refused
/// with the name and where, lone surrogate escapes become U+FFFD, bytes that are not UTF-8 are refused.
/// `TaskTypesTests/JSONPolicyDatasetTests` checks the same cases through the dataset loader.
@Suite struct JSONParsingPolicyTests {
    func failure(_ text: String) -> JSONValue.ParseError? {
        do {
            _ = try JSONValue.parse(text)
            Issue.record("\(text) parsed")
            return nil
        } catch let error as JSONValue.ParseError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test("a duplicate member is refused with its name and where, at any depth")
    func duplicateMembersAreRefused() throws {
        let top = try #require(failure(#"{"a": 1, "a": 2}"#))
        #expect(top.message == #"duplicate member "a""#)
        #expect(top.offset == 14)
        #expect((top.line, top.column) == (1, 15))
        #expect(top.description == #"duplicate member "a" at column 15"#)
        let nested = try #require(failure("{\"x\": [1,\n {\"label\": true, \"label\": false}]}"))
        #expect(nested.description == #"duplicate member "label" at line 2, column 27"#)
        // The same name in different objects is fine.
        #expect(try JSONValue.parse(#"[{"a": 1}, {"a": 2}]"#) == [["a": 1], ["a": 2]])
    }

    @Test("every entry point (Data, String, bytes) applies the policy")
    func everyEntryPointRefusesDuplicates() {
        let text = #"{"k": 1, "k": 1}"#
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Data(text.utf8)) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(text) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(bytes: Array(text.utf8)) }
    }

    @Test("a lone surrogate escape becomes U+FFFD; a pair is one scalar")
    func loneSurrogatesBecomeReplacementCharacters() throws {
        #expect(try JSONValue.parse(#"{"input": "\ud800"}"#) == ["input": "\u{FFFD}"])
        #expect(try JSONValue.parse(#""cut \ud83d""#) == "cut \u{FFFD}")
        #expect(try JSONValue.parse(#""\ude00 tail""#) == "\u{FFFD} tail")
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == "😀")
    }

    @Test("bytes that are not UTF-8 are refused with where, not replaced")
    func invalidUTF8IsRefused() throws {
        let bytes = Array(#"{"input": "caf"#.utf8) + [0xE9] + Array(#""}"#.utf8)
        do {
            _ = try JSONValue.parse(bytes: bytes)
            Issue.record("parsed")
        } catch {
            #expect(error.description == "string is not valid UTF-8 at column 12")
        }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Data(bytes)) }
    }

    @Test("the grammar is RFC 8259's: leading zeros, bare signs and trailing dots are refused")
    func strictNumbers() {
        for text in ["01", "-", "1.", "[1e]", "+1", ".5"] {
            #expect(throws: JSONValue.ParseError.self, "\(text)") { try JSONValue.parse(text) }
        }
    }
}
