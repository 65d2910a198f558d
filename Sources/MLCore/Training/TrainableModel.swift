import Foundation

/// The encoder and head being trained: their parameters and gradients in flat buffers (see
/// ``ParameterLayout``), and the per-thread workspaces that compute a batch's loss and gradients.
///
/// A batch is sorted by length and cut into at most ``BertEncoder/slices`` groups of similar work; each
/// group runs forward and backward into its own gradient buffer, on its own thread when `threads`
/// allows, with OpenBLAS single-threaded. The buffers are then added in group order and the
/// word-embedding rows scattered in token order, so the result depends neither on thread timing nor
/// on the thread count: the same batch gives the same bits.
final class TrainableModel: @unchecked Sendable {
    let layout: ParameterLayout
    let pass: BackwardPass
    let threads: Int
    /// The current parameters.
    let parameters: FloatBuffer
    /// The last batch's gradients (dense part always written; word rows only at ``touchedRows``).
    let gradient: FloatBuffer
    /// The word-embedding rows the last batch's tokens used, ascending.
    private(set) var touchedRows: [Int] = []
    private var extraGradients: [FloatBuffer] = []
    private var workspaces: [BackwardWorkspace] = []

    /// The slowest group's forward and backward times in the last batch (for benchmarks).
    var lastTimes: (forward: Duration, backward: Duration) {
        (workspaces.map(\.lastTimes.forward).max() ?? .zero, workspaces.map(\.lastTimes.backward).max() ?? .zero)
    }

    /// All groups' forward and backward CPU seconds in the last batch (for benchmarks).
    var lastCPUSeconds: (forward: Double, backward: Double) {
        (workspaces.map(\.lastCPUSeconds.forward).reduce(0, +), workspaces.map(\.lastCPUSeconds.backward).reduce(0, +))
    }

    init(weights: BertWeights, head: ClassifierHead, configuration: BertConfiguration, pooling: Pooling, dropout: Float,
         threads: Int) {
        layout = ParameterLayout(configuration: configuration, labels: head.labels)
        pass = BackwardPass(layout: layout, pooling: pooling, dropout: Dropout(rate: dropout))
        self.threads = max(1, threads)
        parameters = FloatBuffer(zeros: layout.count)
        gradient = FloatBuffer(zeros: layout.count)
        layout.store(weights, head: head, into: parameters.pointer)
    }

    /// Computes the batch's mean (class-weighted) cross-entropy and its gradient into ``gradient``.
    ///
    /// - Parameters:
    ///   - examples: The batch, each encoding already checked against the vocabulary and position limits.
    ///   - classWeights: One weight per label; the loss is `Σ w_y·CE / Σ w_y`, as PyTorch's weighted mean.
    ///   - seed, step: Seed the dropout masks (with each example's place in `examples`).
    /// - Returns: The loss.
    func computeGradients(_ examples: [LabelledEncoding], classWeights: [Float], seed: UInt64, step: Int) -> Double {
        clearWordGradients()
        let totalWeight = examples.reduce(Float(0)) { $0 + classWeights[$1.label] }
        let order = examples.indices.sorted { (examples[$0].encoding.count, $0) < (examples[$1].encoding.count, $1) }
        let ranges = BertEncoder.partition(order.map { examples[$0].encoding.count }, parts: BertEncoder.slices)
        let groups: [BackwardPass.Group] = ranges.map { range in
            let members = order[range]
            return BackwardPass.Group(
                encodings: members.map { examples[$0].encoding }, labels: members.map { examples[$0].label },
                lossWeights: members.map { classWeights[examples[$0].label] / totalWeight },
                generators: members.map { Dropout.generator(seed: seed, step: step, slot: $0) })
        }
        while workspaces.count < groups.count { workspaces.append(BackwardWorkspace()) }
        while extraGradients.count < groups.count - 1 { extraGradients.append(FloatBuffer(zeros: layout.count)) }

        var losses = [Double](repeating: 0, count: groups.count)
        if groups.count == 1 {
            var group = groups[0]
            losses[0] = pass.run(&group, parameters: parameters.pointer, gradient: gradient.pointer, workspace: workspaces[0])
        } else {
            let results = LossSlots(count: groups.count)
            let runOne: @Sendable (Int) -> Void = { [self] index in
                var group = groups[index]
                let target = index == 0 ? gradient : extraGradients[index - 1]
                results.store(pass.run(&group, parameters: parameters.pointer, gradient: target.pointer,
                                       workspace: workspaces[index]), at: index)
            }
            if threads > 1 {
                DispatchQueue.concurrentPerform(iterations: groups.count, execute: runOne)
            } else {
                for index in groups.indices { runOne(index) }
            }
            losses = results.values
            addExtraGradients(count: groups.count - 1)
        }
        scatterWordGradients(groups)
        return losses.reduce(0, +)
    }

    /// Adds the other groups' dense gradients onto the first's, split across threads by range.
    private func addExtraGradients(count: Int) {
        let start = layout.denseStart, total = layout.count - start
        let target = SendablePointer(gradient.pointer)
        let sources = extraGradients.prefix(count).map { SendablePointer($0.pointer) }
        let parts = threads
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let lower = start + total * part / parts, upper = start + total * (part + 1) / parts
            for source in sources {
                VectorMath.add(source.pointer + lower, to: target.pointer + lower, count: upper - lower)
            }
        }
    }

    /// Adds each token's embedding gradient into its word row, groups and tokens in order.
    private func scatterWordGradients(_ groups: [BackwardPass.Group]) {
        let h = layout.configuration.hiddenSize
        let word = gradient.pointer + layout.word.offset
        var rows = Set<Int>()
        for (index, group) in groups.enumerated() {
            let buffer = workspaces[index].embeddingGradientPointer
            var row = 0
            for encoding in group.encodings {
                for id in encoding.ids {
                    VectorMath.add(buffer + row * h, to: word + id * h, count: h)
                    rows.insert(id)
                    row += 1
                }
            }
        }
        touchedRows = rows.sorted()
    }

    /// Zeroes the word-embedding gradient rows of the last batch.
    func clearWordGradients() {
        let h = layout.configuration.hiddenSize
        for row in touchedRows { (gradient.pointer + layout.word.offset + row * h).update(repeating: 0, count: h) }
        touchedRows = []
    }

    /// The squared global L2 norm of the gradient (trained dense slots and touched word rows), in Double, in a fixed order.
    func gradientNormSquared(denseSlots: [ParameterLayout.Slot]) -> Double {
        let h = layout.configuration.hiddenSize
        var total: Double = 0
        for slot in denseSlots { total += Self.sumOfSquares(gradient.pointer + slot.offset, count: slot.count) }
        for row in touchedRows { total += Self.sumOfSquares(gradient.pointer + layout.word.offset + row * h, count: h) }
        return total
    }

    /// Σ x², accumulated in four Double lanes (a fixed order).
    static func sumOfSquares(_ data: UnsafePointer<Float>, count: Int) -> Double {
        var (s0, s1, s2, s3): (Double, Double, Double, Double) = (0, 0, 0, 0)
        var index = 0
        while index + 4 <= count {
            let (a, b, c, d) = (Double(data[index]), Double(data[index + 1]), Double(data[index + 2]), Double(data[index + 3]))
            s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
            index += 4
        }
        while index < count { let x = Double(data[index]); s0 += x * x; index += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// The current weights and head (`template` gives the shapes; the pooler is read back for `cls`).
    func weights(template: BertWeights) -> (BertWeights, ClassifierHead) {
        layout.load(from: parameters.pointer, template: template, includesPooler: pass.pooling == .cls)
    }
}

/// Per-group results written by worker threads into disjoint slots.
private final class LossSlots: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Double>
    let count: Int
    init(count: Int) {
        self.count = count
        storage = .allocate(capacity: count)
        storage.initialize(repeating: 0, count: count)
    }
    func store(_ value: Double, at index: Int) { storage[index] = value }
    var values: [Double] { Array(UnsafeBufferPointer(start: storage, count: count)) }
    deinit { storage.deallocate() }
}
