import Basics
import Foundation
import MLCore
import TaskInterface

/// A trained metric loaded once from its model folder, scoring canonical rows many times.
///
/// It reads `metric.json` (labels, rendering, pooling, threshold) and the encoder and head
/// (``ModelArtifact``), then renders each row exactly as training did (``RowRendering``), runs the
/// encoder, pools and applies the head.
///
/// ```swift
/// let model = try MetricModel(folder: context.input("model"), threads: 2)
/// for prediction in try model.predictions(for: rows) {
///     print(prediction.label, prediction.probabilities)
/// }
/// ```
public struct MetricModel: Sendable {
    /// One row's result.
    public struct Prediction: Sendable, Equatable {
        /// The predicted label (boolean metrics: the positive label when its probability reaches the threshold).
        public var label: String
        /// Its index in ``MetricModelInfo/labels``.
        public var labelIndex: Int
        /// One probability per label, in label order.
        public var probabilities: [Float]
    }

    /// What `metric.json` says.
    public let info: MetricModelInfo
    /// The encoder and head.
    public let artifact: ModelArtifact
    /// A seed ensemble's other members (`members/2/`, …), whose probabilities are averaged with ``artifact``'s.
    public let members: [ModelArtifact]
    /// Inputs per forward pass.
    public var batchSize: Int

    /// Loads a model folder written by the `train` stage.
    ///
    /// - Throws: ``TaskError`` naming the file that is missing or malformed.
    public init(folder: URL, threads: Int = 2, batchSize: Int = 32) throws {
        let info = try MetricModelInfo(folder: folder)
        self.info = info
        do {
            artifact = try ModelArtifact.load(from: folder, threads: threads, features: info.headFeatures)
            members = try stride(from: 2, through: info.members, by: 1).map { index in
                try ModelArtifact.load(
                    from: folder.appendingPathComponent(MetricModelInfo.membersFolder).appendingPathComponent(String(index)),
                    threads: threads, features: info.headFeatures)
            }
        } catch let error as MLCoreError {
            throw TaskError("cannot load the model in \(folder.path): \(error.message)",
                            remedy: "rerun the train stage that wrote it")
        }
        guard artifact.labels == info.labels else {
            throw TaskError("\(folder.path): config.json labels \(artifact.labels) differ from metric.json labels \(info.labels)",
                            remedy: "rerun the train stage that wrote it")
        }
        self.batchSize = max(1, batchSize)
    }

    /// The threshold ``predictions(for:threshold:)`` uses by default for a boolean metric: the tuned
    /// one when training found one, else 0.5; `nil` for a categorical metric.
    public var defaultThreshold: Double? { info.threshold.map { $0.tuned ?? $0.defaultValue } }

    /// One probability vector per row, in row order.
    ///
    /// A head that reads ``HeadFeatures/pair`` features also encodes each row's two sides alone
    /// (``RowRendering/sides(_:)``): three encoder passes per row instead of one, the sides shorter.
    /// - Throws: ``TaskError`` naming a row that lacks a field its input format needs.
    public func probabilities(for rows: [CanonicalRow]) throws -> [[Float]] {
        guard let tokenizer = artifact.encoder.tokenizer else { throw TaskError("the model folder has no tokenizer") }
        let encodings = try rows.map { try info.rendering.encode($0, tokenizer: tokenizer) }
        guard info.headFeatures == .pair else { return try probabilities(for: encodings) }
        let sides = try rows.map { row in
            // Unreachable: MetricModelInfo refuses pair features over a format of one text.
            guard let sides = try info.rendering.encodeSides(row, tokenizer: tokenizer) else {
                throw TaskError("pair features need a pair input format", remedy: "rerun the train stage that wrote the model")
            }
            return sides
        }
        return try averaged { member in
            let features = try member.encoder.pairFeatures(
                joint: encodings, first: sides.map(\.first), second: sides.map(\.second), pooling: info.pooling,
                batchSize: batchSize)
            return LinearHead.probabilities(features: features, head: member.head)
        }
    }

    /// One probability vector per already tokenised input (a head over pooled features only: a pair-features
    /// head needs the rows: use the `[CanonicalRow]` overload).
    public func probabilities(for encodings: [Encoding]) throws -> [[Float]] {
        guard info.headFeatures == .pooled else {
            throw TaskError("this metric's head reads pair features, which need the rows, not their encodings",
                            remedy: "score rows (probabilities(for: [CanonicalRow]))")
        }
        return try averaged { member in
            try classify(encoder: member.encoder, head: member.head, pooling: info.pooling, encodings: encodings,
                         batchSize: batchSize)
        }
    }

    /// `score` applied to the folder's model and each ensemble member, averaged (``mean(_:)``).
    private func averaged(_ score: (ModelArtifact) throws -> [[Float]]) throws -> [[Float]] {
        do {
            return Self.mean(try ([artifact] + members).map(score))
        } catch let error as MLCoreError {
            throw TaskError("scoring failed: \(error.message)")
        }
    }

    /// The element-wise mean of several models' probabilities for the same rows (a seed ensemble's
    /// prediction; one model's probabilities are returned as they are).
    package static func mean(_ models: [[[Float]]]) -> [[Float]] {
        guard let first = models.first, models.count > 1 else { return models.first ?? [] }
        let count = Float(models.count)
        return first.indices.map { row in
            first[row].indices.map { label in models.reduce(0) { $0 + $1[row][label] } / count }
        }
    }

    /// The predicted label and probabilities of each row.
    ///
    /// - Parameter threshold: For a boolean metric, the positive label's probability at or above which
    ///   it is predicted (default ``defaultThreshold``); ignored for categorical metrics (arg max).
    public func predictions(for rows: [CanonicalRow], threshold: Double? = nil) throws -> [Prediction] {
        try probabilities(for: rows).map { prediction(from: $0, threshold: threshold) }
    }

    /// A prediction in the shape `lunette score` writes and `POST /v1/score` answers: `score` (a boolean
    /// metric's `true`/`false`, else the label) and `probabilities` (label → probability).
    ///
    /// ```json
    /// {"probabilities": {"false": 0.12, "true": 0.88}, "score": true}
    /// ```
    public func responseFields(_ prediction: Prediction) -> [String: JSONValue] {
        Self.responseFields(prediction, labels: info.labels)
    }

    /// ``responseFields(_:)`` for a metric with `labels` (in index order).
    public static func responseFields(_ prediction: Prediction, labels: [String]) -> [String: JSONValue] {
        [
            "score": labels == ["false", "true"] ? .bool(prediction.label == "true") : .string(prediction.label),
            "probabilities": .object(
                Dictionary(uniqueKeysWithValues: zip(labels, prediction.probabilities.map { JSONValue.double(Double($0)) }))),
        ]
    }

    /// The label a probability vector means (see ``predictions(for:threshold:)``).
    public func prediction(from probabilities: [Float], threshold: Double? = nil) -> Prediction {
        if let rule = info.threshold, let positive = info.labels.firstIndex(of: rule.positiveLabel), info.labels.count == 2 {
            let cut = threshold ?? defaultThreshold ?? 0.5
            let index = Double(probabilities[positive]) >= cut ? positive : 1 - positive
            return Prediction(label: info.labels[index], labelIndex: index, probabilities: probabilities)
        }
        var best = 0
        for (index, value) in probabilities.enumerated() where value > probabilities[best] { best = index }
        return Prediction(label: info.labels[best], labelIndex: best, probabilities: probabilities)
    }
}
