import Foundation
import Synchronization

/// Work spread over every core with `DispatchQueue.concurrentPerform`, its results gathered in order.
///
/// What the lock parser, the planner and the up-to-date stamp share: each iteration computes its
/// value on its own, and the caller gets the values back in iteration order, so the result never
/// depends on which thread ran what.
///
/// ```swift
/// let pieces = Parallel.ranges(paths.count, pieces: 4)
/// let sizes = Parallel.map(pieces.count) { piece in paths[pieces[piece]].map(size(of:)) }.flatMap { $0 }
/// ```
public enum Parallel {
    /// `body(index)` for every index in `0..<count`, on several threads; the values in index order.
    public static func map<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
        guard count > 1 else { return (0..<count).map(body) }
        let results = Mutex([T?](repeating: nil, count: count))
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let value = body(index)
            results.withLock { $0[index] = value }
        }
        return results.withLock { $0 }.map { $0! }
    }

    /// `0..<count` cut into `pieces` contiguous ranges whose lengths differ by at most one (empty
    /// ones when `pieces` exceeds `count`).
    public static func ranges(_ count: Int, pieces: Int) -> [Range<Int>] {
        (0..<max(pieces, 1)).map { piece in (count * piece / max(pieces, 1))..<(count * (piece + 1) / max(pieces, 1)) }
    }
}
