import ArgumentParser
import Foundation
import MLCore

/// `lunette embed`: sentence embeddings for a JSON Lines file, with an installed base model.
///
/// Reads lines `{"text": …}` (optionally `"text_pair"`) and writes each line back, all its keys kept,
/// with `"embedding": [floats]` (mean-pooled, L2-normalised), in input order. Standard input and
/// output are used when the paths are omitted; a progress line goes to standard error when it is a
/// terminal. A malformed line stops the command with its line number and exit code 2.
public struct EmbedCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed the texts of a JSON Lines file with a base model (mean-pooled, L2-normalised).")

    @Option(help: "The base model (see `lunette models`).") var model = "minilm-l6"
    @Option(help: "JSON Lines input, one {\"text\": …} per line (default: standard input).") var input: String?
    @Option(help: "Where to write the lines with embeddings (default: standard output).") var output: String?
    @Option(help: "Truncate each text to this many tokens, [CLS] and [SEP] included.") var maxTokens = 128
    @Option(help: "Texts per forward pass.") var batchSize = 32
    @Option(help: "Encoder threads (default: LUNETTE_THREADS or 2).") var threads: Int?

    public init() {}

    public func validate() throws {
        guard maxTokens >= 3 else { throw ValidationError("--max-tokens must be at least 3") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    public func run() async throws {
        let directory = ModelLocation.directory(for: model)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path) else {
            Self.writeError("error: base model '\(model)' is not installed at \(directory.path); "
                            + "install it with: scripts/install-model \(model)")
            throw ExitCode(2)
        }
        let encoder: BertEncoder
        do {
            encoder = try BertEncoder(modelDirectory: directory, threads: threads ?? ThreadCount.fromEnvironment())
        } catch {
            Self.writeError("error: \(error)")
            throw ExitCode.failure
        }

        let source: FileHandle
        let totalBytes: Int?
        if let input {
            guard let handle = FileHandle(forReadingAtPath: input) else {
                Self.writeError("error: cannot read \(input)")
                throw ExitCode(2)
            }
            source = handle
            totalBytes = (try? FileManager.default.attributesOfItem(atPath: input)[.size] as? Int) ?? nil
        } else {
            source = FileHandle.standardInput
            totalBytes = nil
        }
        let sink = try OutputSink(path: output)
        let showsProgress = isatty(STDERR_FILENO) == 1
        let started = Date()
        let job = EmbeddingJob(encoder: encoder, maxTokens: maxTokens, batchSize: batchSize)
        do {
            let count = try job.run(reading: source, progress: { progress in
                guard showsProgress else { return }
                Self.drawProgress(progress, totalBytes: totalBytes, started: started)
            }, write: { try sink.write($0) })
            try sink.finish()
            if showsProgress { Self.writeError("\rembedded \(count) line\(count == 1 ? "" : "s")" + String(repeating: " ", count: 30)) }
        } catch let error as MLCoreError where error.code == .invalidInput {
            if showsProgress { Self.writeError("") }
            Self.writeError("error: \(input ?? "<stdin>"): \(error.message)")
            sink.abandon()
            throw ExitCode(2)
        } catch {
            sink.abandon()
            Self.writeError("error: \(error)")
            throw ExitCode.failure
        }
    }

    private static func drawProgress(_ progress: EmbeddingJob.Progress, totalBytes: Int?, started: Date) {
        let elapsed = max(Date().timeIntervalSince(started), 1e-3)
        let rate = Int(Double(progress.lines) / elapsed)
        var line = "\r\(progress.lines) lines, \(rate)/s"
        if let totalBytes, totalBytes > 0 {
            let fraction = min(1, Double(progress.bytesRead) / Double(totalBytes))
            let filled = Int(fraction * 30)
            line = "\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "] "
                + "\(Int(fraction * 100))% · \(progress.lines) lines, \(rate)/s"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Buffered output to a file (written beside, then renamed, so a failed run leaves no partial file) or stdout.
private final class OutputSink {
    private let path: String?
    private let temporary: String?
    private let handle: FileHandle
    private var buffer = Data()

    init(path: String?) throws {
        self.path = path
        guard let path else {
            temporary = nil
            handle = FileHandle.standardOutput
            return
        }
        let url = URL(fileURLWithPath: path)
        let temporaryPath = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        guard FileManager.default.createFile(atPath: temporaryPath, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporaryPath)
        else {
            EmbedCommand.writeError("error: cannot write \(path)")
            throw ExitCode(2)
        }
        temporary = temporaryPath
        self.handle = handle
    }

    func write(_ line: String) throws {
        buffer.append(contentsOf: line.utf8)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 20 { try drain() }
    }

    func finish() throws {
        try drain()
        guard let temporary, let path else { return }
        try handle.close()
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }

    func abandon() {
        guard let temporary else { try? drain(); return }
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporary)
    }

    private func drain() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
