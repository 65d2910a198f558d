import Foundation

/// A parser of untrusted bytes that the fuzzer drives, and the invariants checked on what it returns.
///
/// Each target feeds one input to the code the product runs on that kind of file, through the same
/// API: ``manifest`` loads it as `workflows/fuzz.yaml` with `ManifestLoader`; ``csv`` and ``jsonl``
/// read it with the dataset readers and then run the `load` stage on it; ``safetensors`` opens it
/// with `SafeTensorsFile` and reads every tensor; ``tokenizer`` encodes it with the WordPiece
/// tokenizer; ``traces`` reads it as a trace export and builds the rows of every step.
///
/// An error the product reports (a diagnostic, a `TaskError`, an `MLCoreError`) is a fine answer:
/// ``run(_:in:)`` returns it as ``FuzzOutcome/rejected(_:)``. A crash, a trap, a hang, a sanitizer
/// report or a thrown ``InvariantViolation`` is a finding.
///
/// ```swift
/// let sandbox = try FuzzSandbox()
/// let outcome = try await FuzzTarget.csv.run(Data("input,label\nhi,true\n".utf8), in: sandbox)
/// // .accepted("loaded 1 row from data/fuzz.csv (true 1, false 0)")
/// ```
public enum FuzzTarget: String, CaseIterable, Sendable {
    case manifest, csv, jsonl, safetensors, tokenizer, traces

    /// Feeds `data` to the target's parser and checks the invariants on its answer.
    ///
    /// Not safe to call concurrently with the same sandbox: each target writes its input to a fixed
    /// path inside it.
    /// - Returns: What the product made of the input.
    /// - Throws: ``InvariantViolation`` when an invariant fails; an error of the sandbox's own file
    ///   writes (not a finding about the input).
    public func run(_ data: Data, in sandbox: FuzzSandbox) async throws -> FuzzOutcome {
        switch self {
        case .manifest: return try ManifestFuzzing.run(data, in: sandbox)
        case .csv: return try await DatasetFuzzing.runCSV(data, in: sandbox)
        case .jsonl: return try await DatasetFuzzing.runJSONLines(data, in: sandbox)
        case .safetensors: return try SafeTensorsFuzzing.run(data, in: sandbox)
        case .tokenizer: return try TokenizerFuzzing.run(data)
        case .traces: return try TraceFuzzing.run(data)
        }
    }

    /// ``run(_:in:)`` from synchronous code (the libFuzzer callback, the replay tool): runs it as a
    /// task and waits. Never call it from a task: it blocks its thread.
    public func runBlocking(_ data: Data, in sandbox: FuzzSandbox) throws -> FuzzOutcome {
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                box.set(.success(try await run(data, in: sandbox)))
            } catch {
                box.set(.failure(error))
            }
            done.signal()
        }
        done.wait()
        return try box.get()
    }
}

/// What the product made of one input.
public enum FuzzOutcome: Equatable, Sendable {
    /// Read without error; a one-line summary of what came out.
    case accepted(String)
    /// Refused with the error the product reports, which is what hostile input should get.
    case rejected(String)

    /// The summary or the error message.
    public var text: String {
        switch self {
        case .accepted(let text), .rejected(let text): return text
        }
    }

    /// Whether the input was refused.
    public var isRejected: Bool {
        if case .rejected = self { return true }
        return false
    }
}

/// An invariant that failed on the product's answer to an input: a bug to fix, like a crash.
public struct InvariantViolation: Error, CustomStringConvertible, Sendable {
    public var target: FuzzTarget
    public var message: String

    public var description: String { "\(target.rawValue): invariant violated: \(message)" }
}

extension FuzzTarget {
    /// Throws an ``InvariantViolation`` with `message` unless `condition` holds.
    func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(InvariantViolation) {
        if !condition { throw InvariantViolation(target: self, message: message()) }
    }
}

/// Carries a result from the task ``FuzzTarget/runBlocking(_:in:)`` starts to the thread that waits.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<FuzzOutcome, any Error>?

    func set(_ value: Result<FuzzOutcome, any Error>) { lock.withLock { result = value } }

    func get() throws -> FuzzOutcome {
        guard let result = lock.withLock({ result }) else { preconditionFailure("the fuzz task ended without a result") }
        return try result.get()
    }
}
