import Basics
import Foundation
import Providers
import TaskInterface

/// A provider with a per-call memo: each answered call is stored under a key computed from the
/// request, so a rerun, a resumed run, or a run with a larger `count` asks only what it has not
/// asked before.
///
/// The key is SHA-256 over the canonical JSON of
/// `{"v":1,"provider":{kind, base_url, model},"temperature":t,"max_tokens":n,"json":b,"messages":[…],"sample":i}`
/// — never a credential, a header or a timeout. The stored value is the answer's
/// ``ChatResponse/jsonValue`` (text, token usage, model): no request, no key. Failed calls are not
/// stored. With no memo (a library user who gave none), every call goes to the provider.
final class ProviderCallCache: Sendable {
    let provider: any LLMProvider
    let configuration: ProviderConfiguration
    let memo: (any MemoCache)?
    let counters = CallCounters()

    init(provider: any LLMProvider, configuration: ProviderConfiguration, memo: (any MemoCache)?) {
        self.provider = provider
        self.configuration = configuration
        self.memo = memo
    }

    /// The answer to `request`, from the memo when it holds one.
    func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let key = ProviderCallCache.key(for: request, configuration: configuration)
        if let data = memo?.value(for: key), let json = try? JSONValue.parse(data), let response = ChatResponse(json: json) {
            counters.recordHit(response.usage)
            return response
        }
        let response = try await provider.complete(request)
        counters.recordCall(response.usage)
        do {
            try memo?.store(response.jsonValue.canonicalData, for: key)
        } catch {
            counters.recordStoreFailure()
        }
        return response
    }

    /// The memo key of a call.
    static func key(for request: ChatRequest, configuration: ProviderConfiguration) -> ContentHash {
        var description: [String: JSONValue] = [
            "v": 1, "provider": configuration.identity, "json": .bool(request.wantsJSON),
            "sample": .int(request.sampleIndex),
            "messages": .array(request.messages.map { ["role": .string($0.role.rawValue), "content": .string($0.content)] }),
        ]
        if let temperature = request.temperature ?? configuration.temperature { description["temperature"] = .double(temperature) }
        if let maxTokens = request.maxTokens ?? configuration.maxTokens { description["max_tokens"] = .int(maxTokens) }
        return ContentHash.of(JSONValue.object(description).canonicalText)
    }

    /// The counters as stage metrics: `provider_calls`, `cached_calls`, `prompt_tokens`, `completion_tokens`.
    var metrics: [String: JSONValue] {
        let snapshot = counters.snapshot
        return [
            "provider_calls": .int(snapshot.calls), "cached_calls": .int(snapshot.hits),
            "prompt_tokens": .int(snapshot.usage.promptTokens), "completion_tokens": .int(snapshot.usage.completionTokens),
        ]
    }
}

/// Counts calls, memo hits and tokens; safe from many tasks.
final class CallCounters: @unchecked Sendable {
    struct Snapshot {
        var calls = 0
        var hits = 0
        var storeFailures = 0
        /// Tokens of the calls made now (reused answers cost nothing).
        var usage = TokenUsage()
    }

    private let lock = NSLock()
    private var state = Snapshot()  // guarded by lock

    var snapshot: Snapshot { lock.withLock { state } }

    func recordCall(_ usage: TokenUsage) {
        lock.withLock {
            state.calls += 1
            state.usage = state.usage + usage
        }
    }

    func recordHit(_ usage: TokenUsage) {
        lock.withLock { state.hits += 1 }
    }

    func recordStoreFailure() { lock.withLock { state.storeFailures += 1 } }
}
