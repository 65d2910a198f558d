import Foundation

/// Embeds a JSON Lines stream: each line `{"text": …}` (optionally `"text_pair"`) is written back with
/// all its keys and an `"embedding"` array appended, in input order.
///
/// Lines are read in chunks (``chunkSize``); within a chunk the encoder sorts by length, so memory
/// stays bounded on large files while batches stay full. Blank lines are skipped. An existing
/// `"embedding"` key is replaced (the line is then re-serialised with sorted keys); otherwise the line's
/// own text is kept byte for byte and the embedding appended before its closing brace.
///
/// ```swift
/// let job = EmbeddingJob(encoder: encoder, maxTokens: 128, batchSize: 32)
/// try job.run(reading: FileHandle.standardInput) { line in print(line) }
/// ```
public struct EmbeddingJob: Sendable {
    /// How far the job has got, for a progress display.
    public struct Progress: Sendable, Equatable {
        /// Lines embedded so far.
        public var lines: Int
        /// Input bytes consumed so far.
        public var bytesRead: Int
    }

    /// The encoder (with its tokenizer).
    public var encoder: BertEncoder
    /// Truncation length in tokens, special tokens included.
    public var maxTokens: Int
    /// Texts per forward pass.
    public var batchSize: Int
    /// Lines read before embedding and writing them.
    public var chunkSize: Int

    /// Creates a job.
    public init(encoder: BertEncoder, maxTokens: Int = 128, batchSize: Int = 32, chunkSize: Int = 1024) {
        self.encoder = encoder
        self.maxTokens = maxTokens
        self.batchSize = batchSize
        self.chunkSize = max(1, chunkSize)
    }

    /// Reads lines from `input`, embeds them, and hands each output line (without newline) to `write`.
    ///
    /// - Parameters:
    ///   - input: The JSON Lines source.
    ///   - progress: Called after each chunk.
    ///   - write: Receives each output line in input order.
    /// - Returns: The number of lines embedded.
    /// - Throws: ``MLCoreError`` `.invalidInput` naming the 1-based line number of a malformed line, or
    ///   what `write` throws.
    @discardableResult
    public func run(reading input: FileHandle, progress: ((Progress) -> Void)? = nil,
                    write: (String) throws -> Void) throws -> Int {
        var reader = LineReader(handle: input)
        var pending: [(number: Int, line: String, record: Record)] = []
        var done = 0
        func flush() throws {
            guard !pending.isEmpty else { return }
            let vectors = try encoder.embed(pending.map(\.record.input), maxTokens: maxTokens, batchSize: batchSize)
            for (item, vector) in zip(pending, vectors) { try write(Self.outputLine(item.line, record: item.record, embedding: vector)) }
            done += pending.count
            pending.removeAll(keepingCapacity: true)
            progress?(Progress(lines: done, bytesRead: reader.bytesRead))
        }
        while let (number, line) = try reader.next() {
            guard line.contains(where: { !$0.isWhitespace }) else { continue }
            pending.append((number, line, try Self.parse(line, number: number)))
            if pending.count >= chunkSize { try flush() }
        }
        try flush()
        return done
    }

    /// One parsed input line.
    struct Record {
        var input: TextInput
        var object: [String: Any]
        var hasEmbedding: Bool
    }

    /// Parses one line, or throws an error naming its number.
    static func parse(_ line: String, number: Int) throws -> Record {
        func invalid(_ message: String) -> MLCoreError { MLCoreError(.invalidInput, "line \(number): \(message)") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [])
        } catch {
            throw invalid("not valid JSON; each line must be an object like {\"text\": \"…\"}")
        }
        guard let dictionary = object as? [String: Any] else {
            throw invalid("expected a JSON object like {\"text\": \"…\"}")
        }
        guard let text = dictionary["text"] as? String else {
            throw invalid(dictionary["text"] == nil ? "missing \"text\"" : "\"text\" must be a string")
        }
        var pair: String?
        if let value = dictionary["text_pair"], !(value is NSNull) {
            guard let string = value as? String else { throw invalid("\"text_pair\" must be a string or null") }
            pair = string
        }
        return Record(input: TextInput(text, pair: pair), object: dictionary, hasEmbedding: dictionary["embedding"] != nil)
    }

    /// The output line: the input with `"embedding"` appended (or replaced).
    static func outputLine(_ line: String, record: Record, embedding: [Float]) -> String {
        let numbers = "[" + embedding.map { "\($0)" }.joined(separator: ",") + "]"
        var base: Substring
        if record.hasEmbedding {
            var object = record.object
            object["embedding"] = nil
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
            base = Substring(String(decoding: data, as: UTF8.self))
        } else {
            base = Substring(line)
        }
        while let last = base.last, last.isWhitespace { base.removeLast() }
        guard base.last == "}" else { return String(base) }
        base.removeLast()
        while let last = base.last, last.isWhitespace { base.removeLast() }
        let separator = base.last == "{" ? "" : ", "
        return base + separator + "\"embedding\": " + numbers + "}"
    }
}

/// Reads `\n`-separated lines from a file handle in 64 KiB blocks, counting lines from 1.
struct LineReader {
    let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var isAtEnd = false
    private var lineNumber = 0
    private(set) var bytesRead = 0

    init(handle: FileHandle) { self.handle = handle }

    mutating func next() throws -> (Int, String)? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                return try line(from: start, to: end, next: newline + 1)
            }
            if isAtEnd {
                guard start < buffer.count else { return nil }
                return try line(from: start, to: buffer.count, next: buffer.count)
            }
            let block: Data
            do {
                block = try handle.read(upToCount: 1 << 16) ?? Data()
            } catch {
                throw MLCoreError(.io, "cannot read input (\(error.localizedDescription))")
            }
            if block.isEmpty { isAtEnd = true }
            buffer.removeSubrange(0..<start)
            start = 0
            buffer.append(contentsOf: block)
            bytesRead += block.count
        }
    }

    private mutating func line(from begin: Int, to end: Int, next: Int) throws -> (Int, String) {
        lineNumber += 1
        guard let text = String(validating: buffer[begin..<end], as: UTF8.self) else {
            throw MLCoreError(.invalidInput, "line \(lineNumber): not valid UTF-8")
        }
        start = next
        return (lineNumber, text)
    }
}
