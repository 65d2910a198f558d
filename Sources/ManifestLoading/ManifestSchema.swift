/// The keys and names a manifest may use. `README.md` in this folder is the user-facing reference;
/// keep the two in step.
enum ManifestSchema {
    static let topLevelKeys = ["project", "description", "defaults", "providers", "runs"]
    static let defaultsKeys = ["base_model", "seed", "provider", "train", "gate", "register"]
    static let runKeys = [
        "metric", "test_set", "training_set", "base_model", "train", "gate", "seed", "provider", "register",
        "split", "stages",
    ]
    static let metricKeys = ["preset", "name", "prompt", "output", "labels", "step", "input"]
    static let datasetKeys = ["path", "columns"]
    static let uploadKeys = ["path", "columns", "labelled"]
    static let trainingSetKinds = ["upload", "generate", "import"]
    static let generateKeys = [
        "count", "context_examples", "examples_per_call", "label_distribution", "instructions", "review_sample",
        "provider",
    ]
    static let trainKeys = [
        "mode", "pooling", "epochs", "learning_rate", "batch_size", "max_tokens", "warmup_ratio", "weight_decay",
        "class_weights", "validation_fraction", "seed", "threads", "include_seeds", "l2", "patience", "dropout",
        "max_gradient_norm",
    ]
    static let gateKeys = ["min_f1", "min_auc", "min_accuracy", "min_precision", "min_recall"]
    static let splitKeys = ["seed_fraction"]
    static let stageKeys = ["command", "inputs", "outputs", "after"]
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

    /// Canonical row fields a `columns:` mapping may rename.
    static let canonicalFields = ["id", "input", "output", "documents", "tools", "trace", "session", "label"]

    /// Every built-in stage name; custom stages may not take these names.
    static let builtinStages = [
        "load", "split", "load-training", "generate", "label", "import", "train", "evaluate", "register",
    ]

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
