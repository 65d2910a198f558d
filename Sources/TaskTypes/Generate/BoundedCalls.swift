import TaskInterface

/// Runs numbered provider calls, at most `limit` at a time, and gathers their values by number.
///
/// Shared by `generate`, `label` and `evaluate`'s judge baseline so that one piece of code owns the
/// task group. Each call is a child task that only returns its number and outcome; the values are
/// stored by the parent alone, so no child touches shared state.
///
/// When a call fails for good, no further call starts, but the calls in flight run to their end (so
/// their answers, already paid for, are cached for the rerun) before the first failure is thrown.
///
/// The parent drives the group with `next()` and adds each task inline: an earlier version iterated
/// the group with `for try await` while a nested function captured the group and mutated it, which
/// the release build miscompiled (a trap in `Array.subscript.modify`, or lost answers at 64 calls
/// at once; issue 14).
enum BoundedCalls {
    /// The value of each call in `0..<count`, in order; `nil` for a call that never started.
    ///
    /// - Parameters:
    ///   - limit: the most calls in flight at once (at least 1).
    ///   - completed: told the number of calls done so far after each success (for progress).
    ///   - call: one call; a `.failure` stops further calls and is thrown once those in flight end; an
    ///     error it throws (cancellation, say) is rethrown at once.
    static func run<Value: Sendable>(
        count: Int, limit: Int, completed: (Int) -> Void = { _ in },
        _ call: @escaping @Sendable (Int) async throws -> Result<Value, TaskError>
    ) async throws -> [Value?] {
        guard count > 0 else { return [] }
        let width = max(1, min(limit, count))
        return try await withThrowingTaskGroup(of: (Int, Result<Value, TaskError>).self) { group in
            var values = [Value?](repeating: nil, count: count)
            var started = 0
            while started < width {
                let index = started
                group.addTask { (index, try await call(index)) }
                started += 1
            }
            var done = 0
            var failure: TaskError?
            while let (index, outcome) = try await group.next() {
                switch outcome {
                case .success(let value):
                    values[index] = value
                    done += 1
                    completed(done)
                case .failure(let error):
                    failure = failure ?? error
                }
                if failure == nil, started < count {
                    let index = started
                    group.addTask { (index, try await call(index)) }
                    started += 1
                }
            }
            if let failure { throw failure }
            return values
        }
    }
}
