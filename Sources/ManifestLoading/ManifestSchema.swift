/// The keys and names a manifest may use. `README.md` in this folder is the user-facing reference;
/// keep the two in step.
enum ManifestSchema {
    static let topLevelKeys = ["project", "description", "defaults", "providers", "runs"]
    static let defaultsKeys = ["base_model", "seed", "provider", "train", "gate", "register", "split"]
    static let runKeys = [
        "metric", "test_set", "training_set", "base_model", "train", "gate", "seed", "provider", "register",
        "split", "stages",
    ]
    static let metricKeys = ["preset", "name", "prompt", "output", "labels", "step", "input"]
    static let datasetKeys = ["path", "columns"]
    static let uploadKeys = ["path", "columns", "labelled"]
    static let trainingSetKinds = ["upload", "generate", "import"]
    // The keys of `train:`, `gate:`, `split:` and `generate:` are their task types' settings schemas
    // (`ManifestLoader.settings`), declared once beside the code that reads them.
    static let stageKeys = ["command", "task", "inputs", "settings", "outputs", "after", "feeds"]
    static let providerKeys = [
        "kind", "base_url", "model", "api_key_env", "temperature", "max_tokens", "max_concurrency",
        "requests_per_minute", "timeout", "headers",
    ]
    static let providerKinds = ["openai-compatible", "anthropic", "offline"]
    /// The words that make a key, header or query parameter name a credential (`api_key`, `X-Api-Key`,
    /// `apiKey`, `token`, `Authorization`, `Cookie`, `session_id`, `sig`, …), see ``isCredentialName(_:)``.
    static let credentialWords: Set<String> = [
        "key", "apikey", "token", "secret", "password", "passwd", "pwd", "auth", "authorization",
        "cookie", "session", "sessionid", "credential", "credentials", "bearer", "signature", "sig",
    ]

    /// Whether `name` names a credential: one of its words (split at `_`, `-`, `.`, spaces and camel case)
    /// is a ``credentialWords`` word, and it does not end in `env` (`api_key_env` names a variable, not a
    /// key). `max_tokens` is not one (`tokens` is not `token`).
    static func isCredentialName(_ name: String) -> Bool {
        var words: [String] = []
        var current = ""
        var previousIsLower = false
        for character in name {
            guard character.isLetter || character.isNumber else {
                if !current.isEmpty { words.append(current) }
                current = ""
                previousIsLower = false
                continue
            }
            if character.isUppercase, previousIsLower {
                words.append(current)
                current = ""
            }
            current += character.lowercased()
            previousIsLower = character.isLowercase || character.isNumber
        }
        if !current.isEmpty { words.append(current) }
        guard words.last != "env" else { return false }
        return words.contains { credentialWords.contains($0) }
    }

    /// How common API keys start: OpenAI (`sk-`, `sk-proj-`), Anthropic (`sk-ant-`), Groq (`gsk_`), Google
    /// (`AIza`), Slack (`xoxb-`), GitHub (`ghp_`), Hugging Face (`hf_`).
    static let keyPrefixes = ["sk-", "gsk_", "AIza", "xoxb-", "ghp_", "hf_"]

    /// Where the first word of `scalars` that looks like an API key starts, or nil. A word is a run of
    /// `[A-Za-z0-9_-]`; it looks like a key when it starts with one of ``keyPrefixes`` and has 12 more
    /// characters or more, or when it has 32 characters or more, letters and digits, and 16 letters or
    /// digits in a row (so `claude-3-7-sonnet-20250219-thinking-v2`, made of short words, is no key).
    static func firstKeyLike(in scalars: [Unicode.Scalar], prefixedOnly: Bool = false) -> Int? {
        var start = 0
        while start < scalars.count {
            guard isKeyCharacter(scalars[start]) else {
                start += 1
                continue
            }
            var end = start
            while end < scalars.count, isKeyCharacter(scalars[end]) { end += 1 }
            if looksLikeKey(String(String.UnicodeScalarView(scalars[start..<end])), prefixedOnly: prefixedOnly) { return start }
            start = end
        }
        return nil
    }

    /// Whether any word of `text` looks like an API key (see ``firstKeyLike(in:prefixedOnly:)``).
    /// - Parameter prefixedOnly: only words with a known key prefix (`sk-`, `gsk_`…) count, not long
    ///   bare tokens (a URL's path holds account ids such as Cloudflare's 32 hex digits).
    static func holdsKey(_ text: String, prefixedOnly: Bool = false) -> Bool {
        firstKeyLike(in: Array(text.unicodeScalars), prefixedOnly: prefixedOnly) != nil
    }

    private static func looksLikeKey(_ word: String, prefixedOnly: Bool) -> Bool {
        if let prefix = keyPrefixes.first(where: word.hasPrefix), word.count >= prefix.count + 12 { return true }
        guard !prefixedOnly, word.count >= 32, word.contains(where: \.isLetter), word.contains(where: \.isNumber) else { return false }
        var run = 0
        for character in word {
            run = character == "-" || character == "_" ? 0 : run + 1
            if run >= 16 { return true }
        }
        return false
    }

    private static func isKeyCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || scalar == "_" || scalar == "-"
    }

    /// Canonical row fields a `columns:` mapping may rename.
    static let canonicalFields = ["id", "input", "output", "documents", "tools", "trace", "session", "label"]

    static let projectNamePattern = "[a-z0-9][a-z0-9_-]*"
    static let runNamePattern = "[a-z0-9][a-z0-9_.-]*"
    static let providerNamePattern = "[a-z0-9][a-z0-9_-]*"
    static let stageNamePattern = "[a-z0-9][a-z0-9_-]*"
    static let metricNamePattern = "[a-z0-9][a-z0-9_-]*"
    static let environmentVariablePattern = "[A-Za-z_][A-Za-z0-9_]*"

    /// The default base model when neither the run nor `defaults` names one.
    static let defaultBaseModel = "minilm-l6"
    static let defaultSeed = 42
    static let defaultSeedFraction = 0.2
}
