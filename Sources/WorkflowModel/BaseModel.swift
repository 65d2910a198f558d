/// A pretrained encoder Lunette can fine-tune, and how it is installed.
public struct BaseModel: Hashable, Sendable {
    /// The name used in manifests (`base_model: minilm-l6`).
    public var name: String
    /// The upstream model it packages.
    public var upstream: String
    /// The folder under the models directory (`cache/models/<folder>` or `$LUNETTE_MODELS/<folder>`).
    public var folder: String
    /// Files that must be present for the model to count as installed.
    public var requiredFiles: [String]
    /// The command that installs it.
    public var installCommand: String
    /// The SHA-256 of `model.safetensors` as published.
    public var weightsDigest: String

    /// The base models this version of Lunette knows.
    public static let catalog: [BaseModel] = [
        BaseModel(
            name: "minilm-l6", upstream: "sentence-transformers/all-MiniLM-L6-v2", folder: "minilm-l6",
            requiredFiles: ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"],
            installCommand: "scripts/install-model minilm-l6",
            weightsDigest: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")
    ]

    /// The catalog entry with this name.
    public static func named(_ name: String) -> BaseModel? { catalog.first { $0.name == name } }
}
