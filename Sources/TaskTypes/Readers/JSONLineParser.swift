import Basics

/// Parses one line of JSON Lines into a ``JSONValue``, with errors that name the column.
///
/// The dataset readers' name for Basics' one JSON parser (``JSONValue/parse(bytes:)``), so a dataset
/// row, a trace, a lock file and a provider's answer are read by the same rules: RFC 8259 strictly,
/// a duplicate member name refused (`duplicate member "label" at column 27`), a lone surrogate escape
/// read as U+FFFD, bytes that are not UTF-8 refused. Callers prefix the line number
/// (`line 7: invalid JSON: … at column 27`).
enum JSONLineParser {
    /// Why a line is not valid JSON: ``JSONValue/ParseError`` (`message`, `column`; its description is
    /// "… at column N" for a line).
    typealias Failure = JSONValue.ParseError

    /// Parses a whole line (surrounding whitespace allowed).
    static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        try JSONValue.parse(bytes: bytes)
    }
}
