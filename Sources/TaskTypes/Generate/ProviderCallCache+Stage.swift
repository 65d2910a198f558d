import Basics
import Foundation
import Providers
import TaskInterface

extension ProviderCallCache {
    /// The problems that stop a stage's `provider` parameter from working, found before any work:
    /// no provider, bad settings, a key variable that is set nowhere, an unsafe credentials file.
    /// Messages name the variable, never a value.
    static func preflight(params: [String: JSONValue], environment: [String: String], stage: String) -> [String] {
        let configuration: ProviderConfiguration
        do {
            configuration = try ProviderConfiguration(json: params["provider"] ?? .null)
        } catch {
            return ["\(stage): \(error.description)"]
        }
        return ProviderFactory.problems(configuration, credentials: Credentials(environment: environment))
            .map { "\(stage): \($0)" }
    }

    /// The stage's provider configuration, or a ``TaskError``.
    static func configuration(_ context: StageContext) throws -> ProviderConfiguration {
        do {
            return try ProviderConfiguration(json: context.params["provider"] ?? .null)
        } catch {
            throw TaskError(error.message, remedy: error.remedy)
        }
    }

    /// Runs `body` with the stage's provider behind a call cache on ``StageContext/memo``; an
    /// HTTP client lives for the call and is shut down after it.
    static func withProvider<T: Sendable>(
        _ context: StageContext, configuration: ProviderConfiguration, seed: Int, retryPolicy: RetryPolicy,
        _ body: (ProviderCallCache) async throws -> T
    ) async throws -> T {
        let credentials = Credentials(environment: context.environment)
        let reporter = context.reporter
        if configuration.kind == .offline {
            let provider = OfflineProvider(seed: seed)
            return try await body(ProviderCallCache(provider: provider, configuration: configuration, memo: nil))
        }
        // Proxies (HTTPS_PROXY, NO_PROXY…) follow the stage's environment, as credentials do.
        return try await HTTPClientTransport.with(environment: context.environment) { transport in
            let runtime = ProviderRuntime(
                transport: transport.send, retryPolicy: retryPolicy,
                jitter: JitterSource(seed: UInt64(bitPattern: Int64(seed))), log: { reporter.log($0) })
            let provider: any LLMProvider
            do {
                provider = try ProviderFactory.make(configuration, credentials: credentials, runtime: runtime, seed: seed)
            } catch let error as ProviderError {
                throw TaskError(error.message, remedy: error.remedy)
            }
            return try await body(ProviderCallCache(provider: provider, configuration: configuration, memo: context.memo))
        }
    }

    /// A provider failure as the stage reports it: what happened, and that finished calls are kept.
    static func taskError(_ error: ProviderError, stage: String) -> TaskError {
        TaskError(
            "\(stage): \(error.message)",
            remedy: (error.remedy.map { $0 + "; " } ?? "") + "answers already received are cached: rerun to resume")
    }
}
