import Basics
import Foundation
import Providers
import Testing

@Suite("JSON in answers")
struct ExtractJSONTests {
    @Test(arguments: [
        ("{\"a\":1}", "{\"a\":1}"),
        ("Sure! Here you go:\n```json\n{\"rows\":[1,2]}\n```\nAnything else?", "{\"rows\":[1,2]}"),
        ("```\n[{\"x\":\"}\"}]\n```", "[{\"x\":\"}\"}]"),
        ("The answer is {\"label\":\"true\",\"rationale\":\"it says {hi}\"} as requested.", "{\"label\":\"true\",\"rationale\":\"it says {hi}\"}"),
        ("noise { not json } then {\"b\":2}", "{\"b\":2}"),
    ])
    func findsTheJSON(answer: String, expected: String) throws {
        let value = try #require(ProviderResponseText.extractJSON(from: answer))
        #expect(value.canonicalText == expected)
    }

    @Test(arguments: ["", "true", "no json here", "{\"a\": 1", "42"])
    func findsNothingInGarbage(answer: String) {
        #expect(ProviderResponseText.extractJSON(from: answer) == nil)
    }

    @Test(arguments: [
        ("<think>\nIs it {\"label\":\"true\"}? No.\n</think>\n\n{\"label\":\"false\"}", "{\"label\":\"false\"}"),
        ("  <thinking>draft [1]</thinking>{\"a\":1}", "{\"a\":1}"),
        ("<think>a</think><think>b {\"x\":0}</think> {\"b\":2}", "{\"b\":2}"),
        ("the template opened the tag {\"x\":0}</think>\n{\"c\":3}", "{\"c\":3}"),
        ("{\"rationale\":\"it writes </think> literally\"}", "{\"rationale\":\"it writes </think> literally\"}"),
        ("{\"rationale\":\"<think> is a tag\"}", "{\"rationale\":\"<think> is a tag\"}"),
    ])
    func reasoningIsDroppedBeforeTheJSON(answer: String, expected: String) throws {
        let value = try #require(ProviderResponseText.extractJSON(from: answer))
        #expect(value.canonicalText == expected)
    }

    @Test(arguments: [
        // A bare </think> quoted inside the JSON, after prose, is the answer's text.
        ("Here you go: {\"label\":\"true\",\"rationale\":\"it says </think> ignore rules\"}",
         "{\"label\":\"true\",\"rationale\":\"it says </think> ignore rules\"}"),
        // Reasoning dropped, then the answer quotes the tag: dropping again must not cut it.
        (#"<think>Maybe {"a":0}.</think> Sure: {"label":"false","rationale":"\"</think>\" is a tag"}"#,
         #"{"label":"false","rationale":"\"</think>\" is a tag"}"#),
        // A fenced answer quoting the tag.
        ("```json\n{\"rationale\":\"it says </think>\"}\n```", "{\"rationale\":\"it says </think>\"}"),
        // Prose after the JSON quoting the tag: nothing after it is JSON, so it is read unstripped.
        ("{\"a\":1} (the model may print </think> here)", "{\"a\":1}"),
    ])
    func aBareClosingTagInsideTheAnswerIsKept(answer: String, expected: String) throws {
        let value = try #require(ProviderResponseText.extractJSON(from: answer))
        #expect(value.canonicalText == expected)
        let once = ProviderResponseText.droppingReasoning(answer)
        #expect(ProviderResponseText.droppingReasoning(once) == once)
        #expect(ProviderResponseText.extractJSON(from: once)?.canonicalText == expected)
    }

    @Test func droppingReasoningTwiceIsDroppingItOnce() {
        let answer = "<think>x</think> Sure: {\"r\":\"</think>\"}"
        #expect(ProviderResponseText.droppingReasoning(answer) == "Sure: {\"r\":\"</think>\"}")
        let bare = "draft {\"x\":0}</think> a </think> {\"c\":3}"
        #expect(ProviderResponseText.droppingReasoning(bare) == "{\"c\":3}")
        #expect(ProviderResponseText.droppingReasoning(ProviderResponseText.droppingReasoning(bare)) == "{\"c\":3}")
    }

    @Test func reasoningCutOffMidThoughtLeavesNoAnswer() {
        #expect(ProviderResponseText.droppingReasoning("<think>\nThe label is {\"label\":\"true\"} unless") == "")
        #expect(ProviderResponseText.extractJSON(from: "<think>\nThe label is {\"label\":\"true\"} unless") == nil)
        #expect(ProviderResponseText.droppingReasoning("  plain answer") == "  plain answer")
    }

    @Test func errorDetailReadsServerMessagesAndScrubsTheKey() {
        let body = Data("{\"error\":{\"message\":\"bad key sk-123\"}}".utf8)
        #expect(ProviderResponseText.errorDetail(body, redacting: Secret("sk-123")) == ": bad key <redacted>")
        #expect(ProviderResponseText.errorDetail(Data("{\"message\":\"nope\"}".utf8)) == ": nope")
        #expect(ProviderResponseText.errorDetail(Data()) == "")
    }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(500), maxDelay: .seconds(4))

    @Test func ceilingsDoubleUpToTheMaximum() {
        #expect(policy.backoffCeiling(afterAttempt: 0) == .milliseconds(500))
        #expect(policy.backoffCeiling(afterAttempt: 2) == .seconds(2))
        #expect(policy.backoffCeiling(afterAttempt: 9) == .seconds(4))
    }

    @Test func fullJitterScalesTheCeilingAndRetryAfterWins() {
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, unit: 0.5) == .milliseconds(500))
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, unit: 0) == .zero)
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(7), unit: 0.5) == .seconds(7))
    }

    @Test func parsesRetryAfterSecondsAndDates() {
        let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryPolicy.parseRetryAfter("120", now: now) == .seconds(120))
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == .seconds(30))
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now: now) == .zero)
        #expect(RetryPolicy.parseRetryAfter("soon", now: now) == nil)
    }

    @Test func jitterIsReproducibleFromItsSeed() {
        let a = JitterSource(seed: 3)
        let b = JitterSource(seed: 3)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        #expect(first.allSatisfy { $0 >= 0 && $0 < 1 })
    }
}

@Suite("Token bucket")
struct TokenBucketTests {
    @Test func spacesCallsAtTheRate() async throws {
        let sleeper = SleepRecorder()
        let bucket = TokenBucket(requestsPerMinute: 60, burst: 1, now: sleeper.now, sleep: sleeper.sleep)
        for _ in 0..<5 { try await bucket.acquire() }
        #expect(sleeper.sleeps == [.seconds(1), .seconds(1), .seconds(1), .seconds(1)])
        #expect(sleeper.now() == .seconds(4))
    }

    @Test func allowsABurstAfterAQuietSpell() async throws {
        let sleeper = SleepRecorder()
        let bucket = TokenBucket(requestsPerMinute: 120, burst: 3, now: sleeper.now, sleep: sleeper.sleep)
        for _ in 0..<3 { try await bucket.acquire() }
        #expect(sleeper.sleeps.isEmpty)
        try await bucket.acquire()
        #expect(sleeper.sleeps == [.milliseconds(500)])
    }
}

@Suite("Secrets and credentials")
struct CredentialsTests {
    @Test func secretsNeverShowThemselves() {
        let secret = Secret("sk-live-123")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("sk-live-123"))
        #expect(secret.revealedValue == "sk-live-123")
    }

    @Test func environmentComesFirstThenThePrivateFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("credentials")
        try Data("# keys\nexport FROM_FILE=\"file-key\"\nOTHER=x\n".utf8).write(to: file)
        chmod(file.path, 0o600)
        let credentials = Credentials(environment: ["FROM_ENV": "env-key", "FROM_FILE": ""], fileURL: file)
        #expect(try credentials.key(named: "FROM_ENV").revealedValue == "env-key")
        #expect(try credentials.key(named: "FROM_FILE").revealedValue == "file-key")
    }

    @Test func aMissingKeyNamesTheVariable() throws {
        let credentials = Credentials(environment: [:], fileURL: URL(fileURLWithPath: "/nonexistent/credentials"))
        #expect {
            try credentials.key(named: "GROQ_API_KEY")
        } throws: { error in
            let message = (error as? ProviderError)?.description ?? ""
            return message.contains("GROQ_API_KEY is not set") && message.contains("export GROQ_API_KEY=")
        }
    }

    @Test func aFileReadableByOthersIsRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("credentials")
        try Data("KEY=secret-value\n".utf8).write(to: file)
        chmod(file.path, 0o644)
        let credentials = Credentials(environment: [:], fileURL: file)
        #expect {
            try credentials.key(named: "KEY")
        } throws: { error in
            let message = (error as? ProviderError)?.description ?? ""
            return message.contains("chmod 600 \(file.path)") && !message.contains("secret-value")
        }
    }

    @Test func theDefaultFileFollowsXDGAndHome() {
        #expect(Credentials.defaultFile(environment: ["HOME": "/home/a"])?.path == "/home/a/.config/lunette/credentials")
        #expect(Credentials.defaultFile(environment: ["HOME": "/h", "XDG_CONFIG_HOME": "/x"])?.path == "/x/lunette/credentials")
        #expect(Credentials.defaultFile(environment: ["LUNETTE_CREDENTIALS": "/c"])?.path == "/c")
    }

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-creds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

@Suite("Provider configuration")
struct ProviderConfigurationTests {
    @Test func readsTheStageParameter() throws {
        let configuration = try ProviderConfiguration(json: [
            "name": "groq", "kind": "openai-compatible", "base_url": "https://api.groq.com/openai/v1",
            "model": "llama-3.1-8b-instant", "api_key_env": "GROQ_API_KEY", "max_concurrency": 8,
            "requests_per_minute": 30, "timeout": 45, "headers": ["X-Team": "evals"],
        ])
        #expect(configuration.kind == .openAICompatible)
        #expect(configuration.maxConcurrency == 8)
        #expect(configuration.requestsPerMinute == 30)
        #expect(configuration.timeout == .seconds(45))
        #expect(configuration.headers == ["X-Team": "evals"])
        #expect(configuration.identity == ["kind": "openai-compatible", "base_url": "https://api.groq.com/openai/v1", "model": "llama-3.1-8b-instant"])
    }

    @Test func anthropicDefaultsItsKeyVariable() throws {
        let configuration = try ProviderConfiguration(json: ["name": "claude", "kind": "anthropic", "model": "claude-x"])
        #expect(configuration.apiKeyVariable == "ANTHROPIC_API_KEY")
    }

    @Test func refusesCredentialHeadersAndBadURLs() {
        #expect(throws: ProviderError.self) {
            try ProviderConfiguration(json: [
                "name": "p", "kind": "openai-compatible", "base_url": "http://x/v1", "model": "m",
                "headers": ["Authorization": "Bearer x"],
            ])
        }
        #expect(throws: ProviderError.self) {
            try ProviderConfiguration(json: ["name": "p", "kind": "openai-compatible", "base_url": "x", "model": "m"])
        }
        #expect(throws: ProviderError.self) { try ProviderConfiguration(json: .null) }
    }
}

@Suite("Offline provider")
struct OfflineProviderTests {
    let examples = [
        OfflineProvider.Example(texts: ["input": "you are a wonderful helpful person"], label: "false"),
        OfflineProvider.Example(texts: ["input": "thanks so much for the quick answer"], label: "false"),
    ]

    @Test func isDeterministicAndInheritsLabels() {
        let a = OfflineProvider(seed: 1).augment(examples, count: 20, call: 3)
        let b = OfflineProvider(seed: 1).augment(examples, count: 20, call: 3)
        #expect(a == b)
        #expect(a.count == 20)
        #expect(a.allSatisfy { $0.label == "false" })
        #expect(Set(a.map { $0.texts["input"] ?? "" }).count > 5)
        #expect(a != OfflineProvider(seed: 1).augment(examples, count: 20, call: 4))
    }

    @Test func cannotJudge() async {
        await #expect {
            try await OfflineProvider(seed: 1).complete(ChatRequest(messages: [.user("label this")]))
        } throws: { error in
            (error as? ProviderError)?.message == "the offline provider cannot label rows; configure an LLM provider"
        }
    }
}
