/// Makes the provider a configuration describes.
public enum ProviderFactory {
    /// The provider for `configuration`, with the key found through `credentials`.
    ///
    /// - Parameters:
    ///   - seed: the offline provider's seed (ignored by the others).
    /// - Throws: ``ProviderError`` with code `credentials` when a needed key is missing.
    public static func make(
        _ configuration: ProviderConfiguration, credentials: Credentials, runtime: ProviderRuntime, seed: Int = 0
    ) throws(ProviderError) -> any LLMProvider {
        let key = try configuration.apiKeyVariable.map { variable throws(ProviderError) in
            try credentials.key(named: variable)
        }
        switch configuration.kind {
        case .openAICompatible:
            return OpenAICompatibleProvider(configuration: configuration, apiKey: key, runtime: runtime)
        case .anthropic:
            return AnthropicProvider(configuration: configuration, apiKey: key, runtime: runtime)
        case .offline:
            return OfflineProvider(seed: seed)
        }
    }

    /// Problems that stop `configuration` from being used, each naming what to fix (never a key):
    /// for `lunette plan` and the engine's preflight.
    public static func problems(_ configuration: ProviderConfiguration, credentials: Credentials) -> [String] {
        guard configuration.kind != .offline, let variable = configuration.apiKeyVariable else { return [] }
        do {
            _ = try credentials.key(named: variable)
            return []
        } catch {
            return ["provider '\(configuration.name)': \(error.description)"]
        }
    }
}
