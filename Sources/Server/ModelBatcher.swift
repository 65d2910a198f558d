import Foundation
import Scoring

/// Collects the rows of concurrent requests for one model and scores them together.
///
/// A request's rows join the pending queue; the first one arms a timer of
/// ``ServerConfiguration/batchWindow`` (none when it is zero), after which everything pending (up to
/// ``ServerConfiguration/maxBatchRows`` at a time) is scored in one encoder call on a dedicated
/// queue, one batch at a time. The queue is bounded: a request that would take it past
/// ``ServerConfiguration/maxQueuedRows`` is refused with ``Overloaded`` rather than held.
actor ModelBatcher {
    /// The queue is full; try again shortly.
    struct Overloaded: Error {
        var queued: Int
    }

    private struct Pending {
        var rows: [CanonicalRow]
        var continuation: CheckedContinuation<[MetricModel.Prediction], any Error>
    }

    let model: MetricModel
    private let window: Duration
    private let capacity: Int
    private let maxBatch: Int
    private let onBatch: @Sendable (Int) -> Void
    private let queue: DispatchQueue
    private var pending: [Pending] = []
    private var pendingRows = 0
    private var timerArmed = false
    private var scoring = false

    init(model: MetricModel, label: String, window: Duration, capacity: Int, maxBatch: Int, onBatch: @escaping @Sendable (Int) -> Void) {
        self.model = model
        self.window = window
        self.capacity = capacity
        self.maxBatch = max(1, maxBatch)
        self.onBatch = onBatch
        queue = DispatchQueue(label: "lunette.serve.\(label)")
    }

    /// Rows waiting to be scored.
    var queuedRows: Int { pendingRows }

    /// Scores `rows` (in order), batched with whatever other requests are waiting when the encoder is free.
    /// - Throws: ``Overloaded`` when the queue is full; the model's error when scoring fails.
    func score(_ rows: [CanonicalRow]) async throws -> [MetricModel.Prediction] {
        if rows.isEmpty { return [] }
        guard pendingRows + rows.count <= capacity else { throw Overloaded(queued: pendingRows) }
        return try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(rows: rows, continuation: continuation))
            pendingRows += rows.count
            armTimer()
        }
    }

    private func armTimer() {
        guard !timerArmed, !scoring, !pending.isEmpty else { return }
        timerArmed = true
        let window = window
        Task {
            if window > .zero { try? await Task.sleep(for: window) }
            await self.flush()
        }
    }

    /// Takes pending requests (whole requests, up to the batch size, at least one) and scores them.
    private func flush() async {
        timerArmed = false
        guard !scoring, !pending.isEmpty else { return }
        var taken: [Pending] = []
        var count = 0
        while let next = pending.first, taken.isEmpty || count + next.rows.count <= maxBatch {
            taken.append(pending.removeFirst())
            count += next.rows.count
        }
        pendingRows -= count
        scoring = true
        onBatch(count)
        let rows = taken.flatMap(\.rows)
        let model = model
        let result: Result<[MetricModel.Prediction], any Error> = await withCheckedContinuation { done in
            queue.async { done.resume(returning: Result { try model.predictions(for: rows) }) }
        }
        scoring = false
        switch result {
        case .success(let predictions):
            var offset = 0
            for request in taken {
                request.continuation.resume(returning: Array(predictions[offset..<offset + request.rows.count]))
                offset += request.rows.count
            }
        case .failure(let error):
            for request in taken { request.continuation.resume(throwing: error) }
        }
        if !pending.isEmpty {
            // Requests that arrived while scoring have already waited at least a window.
            timerArmed = true
            Task { await self.flush() }
        }
    }
}
