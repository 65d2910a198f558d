import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

/// A literal credential in a manifest never reaches a diagnostic, whichever diagnostic shows its line
/// (a syntax error, a duplicate key, a typo such as `apikey:`), and credentials in `base_url` or in a
/// header are refused without being echoed (issue #14, item 5).
@Suite("Secrets in a manifest")
struct SecretTests {
    static let secret = "sk-live-0123456789abcdef"

    private func load(_ yaml: String) throws -> ManifestLoadResult {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": yaml])
        return workspace.load("demo.yaml")
    }

    private func expectNoSecret(_ result: ManifestLoadResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let rendered = result.diagnostics.rendered()
        #expect(!rendered.contains("0123456789"), "\(rendered)", sourceLocation: sourceLocation)
        #expect(!ManifestError(diagnostics: result.diagnostics).description.contains("0123456789"),
                sourceLocation: sourceLocation)
    }

    @Test("a duplicated api_key shows its line redacted")
    func duplicateKey() throws {
        let result = try load("""
            project: demo
            providers:
              judge:
                kind: anthropic
                api_key: \(Self.secret)
                api_key: \(Self.secret)
            runs: {}
            """)
        let error = try result.onlyError()
        #expect(error.message == "duplicate key 'api_key'")
        #expect(error.location?.line == 6)
        #expect(error.sourceLine == "    api_key: <redacted>")
        expectNoSecret(result)
    }

    @Test("a YAML syntax error on a line holding a key shows the line redacted")
    func syntaxError() throws {
        let result = try load("""
            project: demo
            providers:
              judge:
                kind: anthropic
               apikey: \(Self.secret)
            runs: {}
            """)
        let error = try result.onlyError()
        #expect(error.message.hasPrefix("invalid YAML: "))
        #expect(error.sourceLine == "   apikey: <redacted>")
        expectNoSecret(result)
    }

    @Test("a credential under a misspelt key is refused like api_key, without its value",
          arguments: ["apikey", "api-key", "apiKey", "API_KEY", "token", "access_token", "secret", "password",
                      "authorization"])
    func misspeltKey(_ key: String) throws {
        let result = try load("""
            project: demo
            providers:
              judge: { kind: anthropic, model: claude, \(key): \(Self.secret) }
            runs: {}
            """)
        let error = try result.onlyError()
        #expect(error.message == "a provider must not hold a literal API key")
        #expect(error.keyPath == "providers.judge.\(key)")
        #expect(error.hint?.contains("api_key_env") == true)
        #expect(error.sourceLine == "  judge: { kind: anthropic, model: claude, \(key): <redacted>")
        expectNoSecret(result)
    }

    @Test("an unknown credential-like key anywhere else is redacted in its 'unknown key' error")
    func unknownKeyElsewhere() throws {
        let result = try load(Manifest.withRun("    token: \(Self.secret)"))
        let error = try result.onlyError()
        #expect(error.message == "unknown key 'token' in 'r'")
        #expect(error.sourceLine == "    token: <redacted>")
        expectNoSecret(result)
    }

    @Test("credentials in base_url are refused without echoing them",
          arguments: [
            "https://user:\(secret)@api.example.com/v1", "https://api.example.com/v1?key=\(secret)",
            "https://api.example.com/v1?api-version=1&api_key=\(secret)", "https://h.example.com/v1?sig=\(secret)",
            "https://h.example.com/v1?access%5Ftoken=\(secret)",
          ])
    func credentialsInURL(_ url: String) throws {
        let result = try load("""
            project: demo
            providers:
              judge: { kind: openai-compatible, model: m, base_url: "\(url)" }
            runs: {}
            """)
        let error = try result.onlyError()
        #expect(error.message.hasPrefix("base_url must not hold credentials"))
        #expect(error.keyPath == "providers.judge.base_url")
        #expect(error.hint?.contains("'api_key_env: MY_KEY_VARIABLE'") == true)
        #expect(error.sourceLine == "  judge: { kind: openai-compatible, model: m, base_url: <redacted>")
        expectNoSecret(result)
    }

    @Test("a plain query such as ?api-version= stays allowed")
    func plainQuery() throws {
        let result = try load("""
            project: demo
            providers:
              judge: { kind: openai-compatible, model: m, base_url: "https://x.example.com/v1?api-version=2024-06-01" }
            runs: {}
            """)
        #expect(result.errors.isEmpty, "\(result.diagnostics.rendered())")
        #expect(result.project?.providers["judge"]?.settings["base_url"]
            == .string("https://x.example.com/v1?api-version=2024-06-01"))
    }

    @Test("a header whose name or value looks like a credential is refused; others are kept",
          arguments: ["X-Auth-Token", "Cookie", "X-Session-Id", "X-Goog-Api-Key", "Ocp-Apim-Subscription-Key",
                      "X-Custom"])
    func credentialHeaders(_ name: String) throws {
        let value = name == "X-Custom" ? "Bearer \(Self.secret)" : Self.secret
        let result = try load("""
            project: demo
            providers:
              judge:
                kind: offline
                headers: { X-Title: lunette, \(name): "\(value)" }
            runs: {}
            """)
        let error = try result.onlyError()
        #expect(error.message == "header '\(name)' would hold a literal credential")
        #expect(error.keyPath == "providers.judge.headers.\(name)")
        #expect(error.hint?.contains("api_key_env") == true)
        #expect(error.sourceLine == "    headers: { X-Title: lunette, \(name): <redacted>")
        expectNoSecret(result)
    }

    @Test("keys that only look alike (max_tokens, api_key_env) are shown as written")
    func notCredentials() throws {
        let result = try load("""
            project: demo
            providers:
              judge: { kind: offline, api_key_env: MY_KEY, max_tokens: lots }
            runs: {}
            """)
        let error = try result.onlyError()
        #expect(error.sourceLine == "  judge: { kind: offline, api_key_env: MY_KEY, max_tokens: lots }")
    }
}
