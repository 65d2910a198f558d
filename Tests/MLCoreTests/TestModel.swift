import Foundation
import MLCore

/// Finds the real model and the golden parity data for the tests that need them.
enum TestModel {
    /// The repository root: the folder above `Tests/`, found from this file with symlinks resolved.
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// The installed minilm-l6 folder: `$LUNETTE_MODELS/minilm-l6`, else `<repo>/cache/models/minilm-l6`.
    static let directory: URL? = {
        var candidates: [URL] = []
        if let root = ProcessInfo.processInfo.environment["LUNETTE_MODELS"], !root.isEmpty {
            candidates.append(URL(fileURLWithPath: root).appendingPathComponent("minilm-l6"))
        }
        candidates.append(repositoryRoot.appendingPathComponent("cache/models/minilm-l6"))
        return candidates.first { url in
            ["config.json", "model.safetensors", "vocab.txt"].allSatisfy {
                FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path)
            }
        }
    }()

    /// Whether the real-weight tests can run (they are skipped otherwise; install with `scripts/install-model`).
    static var isInstalled: Bool { directory != nil }

    /// The loaded encoder, shared by the real-weight tests (loading errors are reported, not swallowed).
    private static let loaded: Result<BertEncoder, any Error>? = directory.map { url in
        Result { try BertEncoder(modelDirectory: url, threads: 2) }
    }

    /// The real encoder; throws when it is not installed or fails to load.
    static func encoder() throws -> BertEncoder {
        guard let loaded else { throw MLCoreError(.fileNotFound, "minilm-l6 is not installed (scripts/install-model)") }
        return try loaded.get()
    }

    /// One line of `golden.jsonl`.
    struct GoldenCase: Decodable, Sendable {
        var id: String
        var text: String
        var input_ids: [Int]
        var truncated: Bool
        var embedding: [Float]
        var cls_hidden_first8: [Float]
    }

    /// The golden cases: the fixture copy beside the tests, else `../shared/golden/minilm-l6/golden.jsonl`.
    static let goldenCases: [GoldenCase] = {
        let fixture = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/golden.jsonl")
        let shared = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/golden/minilm-l6/golden.jsonl")
        guard let url = [fixture, shared].first(where: { FileManager.default.fileExists(atPath: $0.path) }),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(GoldenCase.self, from: Data($0.utf8)) }
    }()
}

