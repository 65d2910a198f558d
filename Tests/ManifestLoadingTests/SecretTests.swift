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
            "https://h.example.com/v1?access%5Ftoken=\(secret)", "https://h.example.com/sk-proj-0123456789abcdef/v1",
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

    @Test("a key-like value under a misspelt provider key (api_kye: sk-proj-…) is refused, without its value",
          arguments: ["sk-proj-0123456789abcdef", "sk-ant-api03-0123456789abcdef", "gsk_0123456789abcdefGHIJ",
                      "AIzaSy0123456789abcdefGHIJ", "xoxb-0123456789-abcdef", "ghp_0123456789abcdefGHIJ",
                      "hf_0123456789abcdefGHIJ", "Zq0123456789abcdefGHIJKLMNOPqrstuv"])
    func keyLikeValueInProvider(_ key: String) throws {
        let result = try load("""
            project: demo
            providers:
              judge:
                kind: anthropic
                model: claude
                api_kye: \(key)
            runs: {}
            """)
        let error = try result.onlyError()
        #expect(error.message == "a provider must not hold a literal API key")
        #expect(error.keyPath == "providers.judge.api_kye")
        #expect(error.sourceLine == "    api_kye: <redacted>")
        #expect(result.project == nil)
        expectNoSecret(result)
    }

    @Test("a key-like value under an unknown key outside providers is redacted in its 'unknown key' error")
    func keyLikeValueUnderUnknownKey() throws {
        let result = try load(Manifest.withRun("    api_kye: \"sk-proj-0123456789abcdef\" # pasted"))
        let error = try result.onlyError()
        #expect(error.message == "unknown key 'api_kye' in 'r'")
        #expect(error.sourceLine == "    api_kye: <redacted>")
        expectNoSecret(result)
    }

    @Test("a header whose value looks like a key (X-Foo: sk-…) is refused and not stored",
          arguments: ["sk-0123456789abcdefGHIJ", "a1b2c3d4e50123456789abcdefabcdef12"])
    func keyLikeHeaderValue(_ value: String) throws {
        let result = try load("""
            project: demo
            providers:
              judge:
                kind: offline
                headers: { X-Title: lunette, X-Foo: "\(value)" }
            runs: {}
            """)
        let error = try result.onlyError()
        #expect(error.message == "header 'X-Foo' would hold a literal credential")
        #expect(error.keyPath == "providers.judge.headers.X-Foo")
        #expect(error.sourceLine == "    headers: { X-Title: lunette, X-Foo: <redacted>")
        #expect(result.project == nil)
        expectNoSecret(result)
    }

    @Test("a pasted key as api_key_env (gsk_… passes the variable-name pattern) is refused without echoing it")
    func keyAsKeyVariable() throws {
        let result = try load("""
            project: demo
            providers:
              judge: { kind: openai-compatible, model: m, base_url: "http://127.0.0.1:8080/v1", api_key_env: gsk_0123456789abcdefGHIJklmn }
            runs: {}
            """)
        let error = try result.onlyError()
        #expect(error.message == "api_key_env must be the name of an environment variable, not the key itself")
        #expect(error.keyPath == "providers.judge.api_key_env")
        #expect(error.sourceLine == "  judge: { kind: openai-compatible, model: m, base_url: \"http://127.0.0.1:8080/v1\", "
            + "api_key_env: <redacted>")
        expectNoSecret(result)
    }

    @Test("a YAML error on a continuation line of api_key's value shows that line redacted")
    func continuationLine() throws {
        let result = try load("""
            project: demo
            providers:
              judge:
                kind: anthropic
                api_key: sk-proj
                  0123456789: more
            runs: {}
            """)
        let error = try result.onlyError()
        #expect(error.message.hasPrefix("invalid YAML: "))
        #expect(error.location?.line == 6)
        #expect(error.sourceLine == "      <redacted>")
        expectNoSecret(result)
    }

    @Test("variable names, long model names and plain headers are not taken for keys")
    func notKeys() throws {
        let result = try load("""
            project: demo
            providers:
              judge:
                kind: openai-compatible
                model: claude-3-7-sonnet-20250219-thinking-v2
                base_url: "https://x.example.com/openai/deployments/my-deployment-name-2024-05-13-prod"
                api_key_env: GROQ_API_KEY
                headers: { X-Title: lunette-2024-05-13-moderation-prod-v2 }
              cloudflare:
                kind: openai-compatible
                model: "@cf/meta/llama-3.1-8b-instruct"
                base_url: "https://api.cloudflare.com/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/ai/v1"
            runs: {}
            """)
        #expect(result.errors.isEmpty, "\(result.diagnostics.rendered())")
        #expect(result.project?.providers["judge"]?.settings["model"] == .string("claude-3-7-sonnet-20250219-thinking-v2"))
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
