import Foundation
import Testing

/// The module boundaries `Package.swift`'s ladder promises, checked on its text: the server scores
/// through `Scoring` and links neither the built-in task types nor the LLM providers' HTTP client,
/// and `LUNETTE_THREADS` has one reader.
@Suite struct ModuleBoundaryTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Each target's name → the package targets it lists in `dependencies:` (products left out).
    static func targetDependencies() throws -> [String: [String]] {
        let text = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var result: [String: [String]] = [:]
        let starts = [".target(", ".testTarget(", ".executableTarget(", ".systemLibrary("]
        var chunks: [Substring] = [text[...]]
        for start in starts { chunks = chunks.flatMap { $0.components(separatedBy: start).map { Substring($0) } } }
        for chunk in chunks {
            guard let nameRange = chunk.range(of: #"name: "([A-Za-z_-]+)""#, options: .regularExpression) else { continue }
            let name = chunk[nameRange].dropFirst(7).dropLast()
            guard let listStart = chunk.range(of: "dependencies: [") else {
                result[String(name)] = []
                continue
            }
            var depth = 1
            var index = listStart.upperBound
            while index < chunk.endIndex, depth > 0 {
                if chunk[index] == "[" || chunk[index] == "(" { depth += 1 }
                if chunk[index] == "]" || chunk[index] == ")" { depth -= 1 }
                index = chunk.index(after: index)
            }
            var list = String(chunk[listStart.upperBound..<index])
            // Drop `.product(name: "X", package: "Y")` entries: external products, not targets.
            list = list.replacingOccurrences(of: #"\.product\([^)]*\)"#, with: "", options: .regularExpression)
            let names = list.matches(of: /"([A-Za-z_-]+)"/).map { String($0.1) }
            result[String(name)] = names
        }
        return result
    }

    /// Everything `target` links, directly or not.
    static func closure(of target: String, in graph: [String: [String]]) -> Set<String> {
        var seen: Set<String> = []
        var stack = graph[target] ?? []
        while let next = stack.popLast() {
            if seen.insert(next).inserted { stack += graph[next] ?? [] }
        }
        return seen
    }

    @Test("Server links Scoring but neither TaskTypes nor Providers, directly or not")
    func serverDoesNotLinkTheProviders() throws {
        let graph = try Self.targetDependencies()
        #expect(graph["Server"] != nil && graph["TaskTypes"] != nil && graph["Providers"] != nil)
        let server = Self.closure(of: "Server", in: graph)
        #expect(server.contains("Scoring"))
        #expect(!server.contains("TaskTypes"))
        #expect(!(graph["Server"] ?? []).contains("Providers"))
        // Nor through the engine: the remote cache shares Basics' Secret and RetryPolicy, not Providers.
        #expect(!server.contains("Providers"))
    }

    @Test("Scoring sits below the task types: it links no providers, task types, engine or server")
    func scoringIsLow() throws {
        let graph = try Self.targetDependencies()
        let scoring = Self.closure(of: "Scoring", in: graph)
        #expect(scoring.isSuperset(of: ["Basics", "WorkflowModel", "MLCore"]))
        for forbidden in ["Providers", "TaskTypes", "Workspace", "Execution", "Server", "Commands"] {
            #expect(!scoring.contains(forbidden), "Scoring links \(forbidden)")
        }
        #expect(Self.closure(of: "TaskTypes", in: graph).contains("Scoring"))
    }

    @Test("only MLCore's ThreadCount reads LUNETTE_THREADS")
    func oneReaderOfTheThreadCount() throws {
        let sources = Self.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        #expect(files.count > 100)
        var readers: [String] = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            // The variable's name as a string literal: what a reader of the environment must write.
            if text.contains(#""LUNETTE_THREADS""#) { readers.append(file.lastPathComponent) }
        }
        #expect(readers == ["ThreadCount.swift"])
    }
}
