import Basics
import Foundation
import Testing

@Suite struct JSONValueTests {
    @Test(arguments: [
        (JSONValue.int(3), "3"),
        (.double(3.0), "3.0"),
        (.double(3e-05), "3e-05"),
        (.double(0.2), "0.2"),
        (.double(-2.5), "-2.5"),
        (.int(-17), "-17"),
        (.double(.nan), "null"),
        (.null, "null"),
        (.bool(true), "true"),
        (.bool(false), "false"),
    ])
    func numbersAndScalars(_ value: JSONValue, _ expected: String) {
        #expect(value.canonicalText == expected)
    }

    @Test func objectKeysAreSortedByUTF8Bytes() {
        let value: JSONValue = ["b": 1, "a": 2, "B": 3, "é": 4, "aa": 5, "a b": 6]
        #expect(value.canonicalText == #"{"B":3,"a":2,"a b":6,"aa":5,"b":1,"é":4}"#)
    }

    @Test func stringsAreMinimallyEscaped() {
        let value = JSONValue.string("q\"b\\s/n\nt\tr\rbell\u{07}é😀")
        #expect(value.canonicalText == #""q\"b\\s/n\nt\tr\rbell\u0007é😀""#)
    }

    @Test func nestedValues() {
        let value: JSONValue = [
            "train": ["epochs": 3, "learning_rate": 3e-05, "mode": "full"],
            "labels": ["false", "true"],
            "gate": [:],
            "empty": [],
            "none": nil,
        ]
        #expect(
            value.canonicalText
                == #"{"empty":[],"gate":{},"labels":["false","true"],"none":null,"train":{"epochs":3,"learning_rate":3e-05,"mode":"full"}}"#
        )
    }

    @Test func equalValuesBuiltInDifferentOrdersEncodeIdentically() {
        let keys = (0..<40).map { "key\($0)" }
        var forward: [String: JSONValue] = [:]
        for (index, key) in keys.enumerated() { forward[key] = .int(index) }
        var backward: [String: JSONValue] = [:]
        for (index, key) in keys.enumerated().reversed() { backward[key] = .int(index) }
        var shuffled = keys
        var generator = SeededGenerator(seed: 3)
        shuffled.seededShuffle(using: &generator)
        var random: [String: JSONValue] = [:]
        for key in shuffled { random[key] = .int(keys.firstIndex(of: key) ?? -1) }

        let texts = Set([forward, backward, random].map { JSONValue.object($0).canonicalText })
        #expect(texts.count == 1)
        #expect(texts.first?.hasPrefix(#"{"key0":0,"key1":1,"key10":10,"#) == true)
        #expect(JSONValue.object(forward).canonicalData == Data((texts.first ?? "").utf8))
    }

    @Test func parsesCanonicalTextBack() throws {
        let value: JSONValue = ["name": "toxic", "count": 12, "rate": 0.25, "flags": [true, nil], "nested": ["x": "y"]]
        #expect(try JSONValue.parse(value.canonicalData) == value)
    }

    /// A lock holding `"learning_rate":1.0` must re-render as `1.0`, not `1`.
    @Test func wholeDoublesSurviveParsing() throws {
        #expect(try JSONValue.parse(Data("[3.0]".utf8)) == [.double(3.0)])
        #expect(try JSONValue.parse(Data("[3.5,3,-2e-05,1E3]".utf8)) == [.double(3.5), .int(3), .double(-2e-05), .double(1000)])
        let text = #"{"a":[1.0,2,"é\n\u00e9\ud83d\ude00"],"b":null,"c":true}"#
        #expect(try JSONValue.parse(text).canonicalText == #"{"a":[1.0,2,"é\n\u00e9\ud83d\ude00"],"b":null,"c":true}"#.replacingOccurrences(of: #"\u00e9\ud83d\ude00"#, with: "é😀"))
    }

    @Test(arguments: ["", "[1,", "{\"a\" 1}", "[01x]", "\"abc", "[tru]", "{}x", "[\"\u{01}\"]"])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(text) }
    }

    /// Found by `scripts/fuzz` (target `traces`; Fuzz/Regressions/traces/): a high surrogate followed
    /// by an escape that is not a low surrogate overflowed `UInt32` and trapped.
    @Test(arguments: [
        (#"["\ud83d\ube00"]"#, "\u{FFFD}\u{BE00}"), (#"["\ud800\u0041"]"#, "\u{FFFD}A"),
        (#"["\ud800\ud800\udc00"]"#, "\u{FFFD}\u{10000}"), (#"["\udc00x"]"#, "\u{FFFD}x"),
        (#"["\ud83d\ude00"]"#, "😀"),
    ])
    func unpairedSurrogatesBecomeReplacementCharacters(_ text: String, _ expected: String) throws {
        #expect(try JSONValue.parse(text) == [.string(expected)])
    }

    @Test(arguments: [#"["\u+041"]"#, #"["\u-041"]"#, #"["\u00g1"]"#, #"["\u12"]"#])
    func unicodeEscapesNeedFourHexDigits(_ text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(text) }
    }

    @Test func accessors() {
        let value: JSONValue = ["n": 4, "d": 2.0, "s": "text", "b": true]
        #expect(value["n"]?.intValue == 4)
        #expect(value["d"]?.intValue == 2)
        #expect(value["d"]?.doubleValue == 2.0)
        #expect(value["s"]?.stringValue == "text")
        #expect(value["b"]?.boolValue == true)
        #expect(value["missing"] == nil)
        #expect(value["s"]?.displayText == "text")
        #expect(value["n"]?.displayText == "4")
    }
}
