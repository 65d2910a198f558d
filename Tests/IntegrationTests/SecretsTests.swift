import Basics
import Foundation
import _TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs every command of the real binary with known fake API keys (one in the environment, one in
/// the credentials file) against a loopback LLM that echoes the keys back in its errors, then
/// searches every file of the workspace and everything printed or served for them.
@Suite("API keys never reach a file, a log or an answer", .serialized)
struct SecretsTests {
    /// How the scripted provider behaves in each phase.
    enum Phase: Sendable {
        /// 401 on every call, the error quoting the credential received.
        case unauthorized
        /// Each distinct call first gets a 500 quoting the credential (with `Retry-After: 0`), then its answer.
        case flaky
    }

    @Test("every command, with keys echoed back by the provider: zero hits for the keys anywhere")
    func canaryKeysAreNowhere() async throws {
        let openAIKey = "sk-lunette-canary-\(UUID().uuidString.lowercased())"
        let anthropicKey = "sk-ant-lunette-canary-\(UUID().uuidString.lowercased())"
        let workspace = try CaseWorkspace("generated", project: "gen")
        try TinyModel.write(to: workspace.models.appendingPathComponent("minilm-l6"))
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-creds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        let credentials = outside.appendingPathComponent("credentials")
        try Data("# test keys\nANTHROPIC_API_KEY=\"\(anthropicKey)\"\n".utf8).write(to: credentials)
        chmod(credentials.path, 0o600)

        let phase = PhaseBox(.unauthorized)
        let server = try await ScriptedServer.start(immediate: { request in SecretsTests.answer(request, phase: phase.value, attempts: phase) })
        defer { Task { try? await server.stop() } }
        try Self.writeProject(in: workspace, baseURL: server.baseURL)
        let environment = [
            "OPENAI_API_KEY": openAIKey, "LUNETTE_CREDENTIALS": credentials.path, "ANTHROPIC_API_KEY": "",
            "LUNETTE_THREADS": "1",
        ]
        var printed: [String] = []
        // Each command runs on a thread of its own: waiting for it must not hold a thread of the pool.
        func lunette(_ arguments: [String], expect status: Int32? = 0) async throws -> ProcessTests.Result {
            let result = try await RawHTTPConnection.offPool { try ProcessTests.run(arguments, in: workspace, extra: environment) }
            printed.append("$ lunette \(arguments.joined(separator: " "))\n\(result.output)\n\(result.error)")
            if let status { #expect(result.status == status, "lunette \(arguments): \(result.output)\(result.error)") }
            return result
        }

        _ = try await lunette(["check"], expect: nil)
        _ = try await lunette(["plan"])
        _ = try await lunette(["plan", "--json"])
        _ = try await lunette(["plan", "--explain"])
        // The provider refuses the keys, quoting them: the run fails, saying why, without them.
        let refused = try await lunette(["run", "-v"], expect: 1)
        #expect((refused.output + refused.error).contains("HTTP 401"), "\(refused.output)\(refused.error)")
        #expect((refused.output + refused.error).contains("<redacted>"))
        _ = try await lunette(["status"])
        _ = try await lunette(["show", "gen/polite"])
        // The provider stumbles once per call, quoting the keys in its 500s: the run retries and ends registered.
        phase.value = .flaky
        let run = try await lunette(["run", "-v"])
        #expect(run.output.contains("retry 1 of 5"), "\(run.output)")
        for arguments in [
            ["status"], ["status", "--json"], ["show", "gen/polite"], ["show", "gen/judged"], ["report", "gen/polite"],
            ["compare", "gen/polite", "gen/judged"], ["compare", "gen/polite", "gen/judged", "--json"], ["registry", "list"],
            ["registry", "list", "--json"], ["registry", "show", "polite"], ["registry", "alias", "polite@1", "champion"],
            ["registry", "export", "polite@champion", "--to", "exported/polite"], ["review", "gen/polite"],
            ["review", "gen/polite", "--reject", "too repetitive"], ["run"], ["cache", "verify"], ["cache", "gc", "--dry-run"],
            ["cache", "gc"], ["check"], ["models"],
        ] {
            _ = try await lunette(arguments)
        }
        _ = try await lunette(["verify"], expect: nil)  // evaluate's report may differ under verify: only its output matters here
        try workspace.write("{\"input\": \"thanks a lot\"}\n{\"input\": \"go away\"}\n", to: "to-score.jsonl")
        _ = try await lunette(["score", "polite@champion", "--input", "to-score.jsonl", "--output", "scored.jsonl"])
        _ = try await lunette(["score", "judged", "--input", "to-score.jsonl", "--csv"])

        // The server: its pages, API and metrics.
        let serve = try await RawHTTPConnection.offPool {
            try ServeProcess.start(["--port", "0", "--metrics", "polite@champion"], in: workspace, extra: environment)
        }
        let port = serve.port
        let served = try await RawHTTPConnection.offPool {
            var texts: [String] = []
            for path in ["/healthz", "/readyz", "/v1/metrics", "/", "/registry", "/projects/gen", "/runs/gen/polite",
                         "/runs/gen/polite/report", "/metrics"] {
                let socket = try RawHTTPConnection(port: port)
                try socket.send(RawHTTPConnection.request("GET", path))
                texts.append(try socket.readResponse().text)
            }
            let socket = try RawHTTPConnection(port: port)
            try socket.send(RawHTTPConnection.request("POST", "/v1/metrics/polite/score", body: Array(#"{"rows":[{"input":"hi"}]}"#.utf8)))
            texts.append(try socket.readResponse().text)
            return texts
        }
        let stopped = try await RawHTTPConnection.offPool { serve.stop() }
        printed += served + [stopped.output, stopped.error]
        #expect(served.last?.contains("\"metric\":\"polite@1\"") == true, "\(served.last ?? "")")

        // The keys really were sent.
        let headers = server.statistics.requestHeaders
        #expect(headers.contains { $0["authorization"] == "Bearer \(openAIKey)" })
        #expect(headers.contains { $0["x-api-key"] == anthropicKey })

        // Now look for them everywhere.
        let needles = Self.needles(for: [openAIKey, anthropicKey])
        let files = try Self.allFiles(under: workspace.root)
        #expect(files.contains { $0.hasSuffix("cache/lunette.sqlite") })
        #expect(files.contains { $0.hasPrefix("exported/polite/") })
        #expect(files.contains { $0.hasSuffix("workflows/gen.lock") })
        #expect(files.contains { $0.contains("cache/memo/") })
        var hits: [String] = []
        for file in files {
            let data = try Data(contentsOf: workspace.root.appendingPathComponent(file))
            for (name, needle) in needles where data.range(of: needle) != nil { hits.append("\(file): \(name)") }
        }
        for (index, text) in printed.enumerated() {
            for (name, needle) in needles where Data(text.utf8).range(of: needle) != nil {
                hits.append("output \(index) (\(text.prefix(60))…): \(name)")
            }
        }
        #expect(hits.isEmpty, "\(hits)")
        // The search itself finds a planted key.
        #expect(needles.contains { Data("x \(openAIKey) y".utf8).range(of: $0.value) != nil })
        print("secrets: \(printed.count) outputs and \(files.count) files searched for \(needles.count) forms of 2 keys: \(hits.count) hits")
    }

    /// The keys as raw bytes, base64 of the keys and of their `Authorization` header, and a 16-byte prefix.
    static func needles(for keys: [String]) -> [(name: String, value: Data)] {
        keys.flatMap { key in
            [
                ("key \(key.prefix(12))…", Data(key.utf8)),
                ("key prefix", Data(key.prefix(26).utf8)),
                ("base64(key)", Data(Data(key.utf8).base64EncodedString().utf8)),
                ("base64(Bearer key)", Data(Data("Bearer \(key)".utf8).base64EncodedString().utf8)),
            ]
        }
    }

    /// Every regular file under `root`, workspace-relative, hidden ones included.
    static func allFiles(under root: URL) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var files: [String] = []
        for case let path as String in enumerator {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                files.append(path)
            }
        }
        return files.sorted()
    }

    static func writeProject(in workspace: CaseWorkspace, baseURL: String) throws {
        var unlabelled = "text\n"
        for index in 0..<24 {
            unlabelled += index % 2 == 0 ? "\"Thanks so much, that was kind #\(index)\"\n" : "\"This is rubbish, sort it out #\(index)\"\n"
        }
        try workspace.write(unlabelled, to: "data/unlabelled.csv")
        try workspace.write(
            """
            project: gen
            providers:
              openai: { kind: openai-compatible, base_url: "\(baseURL)", model: tiny, api_key_env: OPENAI_API_KEY, max_concurrency: 2 }
              claude: { kind: anthropic, base_url: "\(baseURL)", model: tiny-claude, max_concurrency: 2 }
            runs:
              polite:
                metric: { name: polite, output: boolean, input: message, prompt: "Is the message polite?" }
                provider: openai
                test_set: { path: ../data/test.csv, columns: { input: text } }
                training_set: { generate: { count: 30, examples_per_call: 5, review_sample: 6 } }
                train: { mode: head }
              judged:
                metric: { name: judged, output: boolean, input: message, prompt: "Is the message polite?" }
                provider: claude
                test_set: { path: ../data/test.csv, columns: { input: text } }
                training_set: { upload: { path: ../data/unlabelled.csv, labelled: false, columns: { input: text } } }
                train: { mode: head }

            """, to: "workflows/gen.yaml")
    }

    /// The scripted provider: OpenAI chat completions and Anthropic messages, echoing the
    /// credential it got in every error.
    static func answer(_ request: ScriptedRequest, phase: Phase, attempts: PhaseBox) -> ScriptedReply {
        let isAnthropic = request.uri.hasSuffix("/messages")
        let credential = request.headers["authorization"] ?? request.headers["x-api-key"] ?? "none"
        switch phase {
        case .unauthorized:
            return isAnthropic
                ? .json(#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key: \#(credential)"}}"#, status: 401)
                : .json(#"{"error":{"message":"Incorrect API key provided: \#(credential)","type":"invalid_request_error"}}"#, status: 401)
        case .flaky:
            if attempts.isFirstAttempt(request.bodyText) {
                return ScriptedReply(
                    status: 500, headers: [("Content-Type", "application/json"), ("Retry-After", "0")],
                    body: Data(#"{"error":{"message":"internal error while serving \#(credential)"}}"#.utf8))
            }
        }
        let body = (try? JSONValue.parse(request.body)) ?? .null
        let prompt = body["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
        let text: String
        if let count = between(prompt, "Write ", " new examples").flatMap(Int.init) {
            let label = between(prompt, "examples whose label is \"", "\"") ?? "false"
            let tag = ContentHash.of(prompt).short
            let rows: [JSONValue] = (0..<count).map { index in
                let input = label == "true" ? "thank you kindly, friend \(tag) \(index)" : "this is rubbish, fix it \(tag) \(index)"
                return ["input": .string(input), "label": .string(label)]
            }
            text = JSONValue.object(["rows": .array(rows)]).canonicalText
        } else {
            let polite = prompt.contains("Thanks") || prompt.contains("Thank") || prompt.contains("kind")
            text = #"{"label": \#(polite), "rationale": "It \#(polite ? "thanks" : "scolds") the reader."}"#
        }
        if isAnthropic {
            let reply: JSONValue = [
                "id": "msg", "type": "message", "model": "tiny-claude", "stop_reason": "end_turn",
                "content": [["type": "text", "text": .string(text)]], "usage": ["input_tokens": 20, "output_tokens": 10],
            ]
            return .json(reply.canonicalText)
        }
        return .chat(text)
    }

    static func between(_ text: String, _ start: String, _ end: String) -> String? {
        ScriptedRequest.text(in: text, between: start, and: end)
    }
}

/// The phase, and the request bodies seen in the flaky phase.
final class PhaseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: SecretsTests.Phase
    private var seen: Set<String> = []

    init(_ phase: SecretsTests.Phase) { stored = phase }

    var value: SecretsTests.Phase {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    /// Whether this is the first time `body` is asked (and remembers it).
    func isFirstAttempt(_ body: String) -> Bool { lock.withLock { seen.insert(body).inserted } }
}
