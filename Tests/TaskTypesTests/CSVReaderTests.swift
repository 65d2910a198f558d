import Foundation
import Testing

@testable import Scoring
@testable import TaskTypes

@Suite struct CSVReaderTests {
    /// Reads every record (or the error that stopped it) with a given chunk size.
    func records(_ bytes: [UInt8], chunkSize: Int = 1 << 20) throws -> [Result<CSVReader.Record, CSVError>] {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        let url = try fixture.write(bytes, to: "data.csv")
        var reader = try CSVReader(url: url, chunkSize: chunkSize)
        var results: [Result<CSVReader.Record, CSVError>] = []
        while true {
            do {
                guard let record = try reader.next() else { break }
                results.append(.success(record))
            } catch let error as CSVError {
                results.append(.failure(error))
                if error.isFatal { break }
            }
        }
        return results
    }

    func fields(_ text: String, chunkSize: Int = 1 << 20) throws -> [[String]] {
        try records(Array(text.utf8), chunkSize: chunkSize).map { try $0.get().fields }
    }

    @Test func quotedFieldsKeepCommasQuotesAndLineBreaks() throws {
        let text = "a,b\n\"x, y\",\"he said \"\"hi\"\"\"\n\"two\nlines\",\"\"\n"
        #expect(try fields(text) == [["a", "b"], ["x, y", "he said \"hi\""], ["two\nlines", ""]])
    }

    @Test func rowNumbersCountRecordsAndLinesCountLines() throws {
        let text = "a,b\n\"two\nlines\",1\nlast,2\n"
        let result = try records(Array(text.utf8)).map { try $0.get() }
        #expect(result.map(\.row) == [1, 2, 3])
        #expect(result.map(\.line) == [1, 2, 4])
    }

    @Test(arguments: [
        "a,b\r\n1,2\r\n", "a,b\n1,2\n", "a,b\n1,2", "a,b\r\n1,2", "\u{FEFF}a,b\n1,2\n", "a,b\r1,2\r",
    ])
    func lineEndingsAndBOM(_ text: String) throws {
        #expect(try fields(text) == [["a", "b"], ["1", "2"]])
    }

    @Test func emptyLinesAreBlankRecordsThatKeepTheirRowNumbers() throws {
        let result = try records(Array("a\n1\n\n2\n\n".utf8)).map { try $0.get() }
        #expect(result.map(\.fields) == [["a"], ["1"], [], ["2"], []])
        #expect(result.map(\.row) == [1, 2, 3, 4, 5])
    }

    @Test func emptyQuotedFieldIsNotABlankLine() throws {
        #expect(try fields("a\n\"\"\n") == [["a"], [""]])
        #expect(try fields("a,b\n,\n") == [["a", "b"], ["", ""]])
    }

    @Test func chunkBoundariesDoNotMatter() throws {
        let text = "\u{FEFF}id,text\r\n1,\"quote \"\"x\"\", comma, \r\nbreak\"\r\n2,plain é ü 😀\r\n\r\n3,\"\"\r\n"
        let whole = try fields(text)
        #expect(whole.count == 5)
        for size in 1...9 {
            #expect(try fields(text, chunkSize: size) == whole, "chunk size \(size)")
        }
    }

    @Test func invalidUTF8NamesTheRowAndReadingGoesOn() throws {
        let bytes = Array("a,b\n1,ok\n2,".utf8) + [0xFF, 0xFE] + Array("\n3,fine\n".utf8)
        let result = try records(bytes)
        #expect(result.count == 4)
        guard case .failure(let error) = result[2] else {
            Issue.record("expected a failure for row 3")
            return
        }
        #expect(error.located == "row 3: field 2 is not valid UTF-8; save the file as UTF-8")
        #expect(!error.isFatal)
        #expect(try result[3].get().fields == ["3", "fine"])
    }

    @Test func nulByteNamesTheRow() throws {
        let bytes = Array("a\nx\n".utf8) + [0x79, 0x00, 0x0A]
        let result = try records(bytes)
        guard case .failure(let error) = result.last else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.row == 3)
        #expect(error.message.contains("NUL byte"))
    }

    @Test func unterminatedQuoteIsFatalAndSaysWhereItStarts() throws {
        let result = try records(Array("a\nok\n\"never\nclosed\n".utf8))
        guard case .failure(let error) = result.last else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.isFatal)
        #expect(error.located == "row 3: a quoted field that starts on line 3 is never closed")
    }

    @Test func textAfterClosingQuoteIsFatal() throws {
        let result = try records(Array("a,b\n\"x\"y,2\n".utf8))
        guard case .failure(let error) = result.last else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.isFatal)
        #expect(error.row == 2)
    }

    @Test func quoteInsideUnquotedFieldIsKept() throws {
        #expect(try fields("a\n5\" screen\n") == [["a"], ["5\" screen"]])
    }
}
