import Basics
import Foundation
import _TestSupport
import Providers

/// Records the waits a provider asks for and returns at once (or after a real, short sleep).
final class SleepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Duration] = []
    private var clock: Duration = .zero
    /// Whether sleeping advances ``now`` (a virtual clock) instead of waiting.
    let isVirtual: Bool

    init(isVirtual: Bool = true) { self.isVirtual = isVirtual }

    var sleeps: [Duration] { lock.withLock { recorded } }

    @Sendable func sleep(_ duration: Duration) async throws {
        try Task.checkCancellation()
        lock.withLock {
            recorded.append(duration)
            clock += duration
        }
        if !isVirtual { try await Task.sleep(for: duration) }
    }

    @Sendable func now() -> Duration { lock.withLock { clock } }
}

extension ProviderRuntime {
    /// A runtime for tests: quick retries, recorded (virtual) sleeps, a fixed jitter seed.
    static func testing(
        transport: @escaping HTTPTransport, sleeper: SleepRecorder = SleepRecorder(), maxAttempts: Int = 4
    ) -> ProviderRuntime {
        ProviderRuntime(
            transport: transport,
            retryPolicy: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(100), maxDelay: .seconds(2)),
            sleep: sleeper.sleep, now: sleeper.now, jitter: JitterSource(seed: 7))
    }
}

/// Runs `body` with a started scripted server and a real HTTP transport, then stops both.
func withScriptedServer<T: Sendable>(
    _ script: @escaping ScriptedServer.Script, _ body: (ScriptedServer, HTTPClientTransport) async throws -> T
) async throws -> T {
    let server = try await ScriptedServer.start(script)
    do {
        let value = try await HTTPClientTransport.with(environment: [:]) { try await body(server, $0) }
        try await server.stop()
        return value
    } catch {
        try? await server.stop()
        throw error
    }
}
