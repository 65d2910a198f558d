/// A dense, row-major Float32 tensor: a shape and its scalars.
///
/// `Tensor` is a plain value: the encoder's weights, activations and the arrays read from or written
/// to safetensors files are all tensors. The last dimension is contiguous.
///
/// ```swift
/// let bias = Tensor(shape: [3], scalars: [0.1, 0.2, 0.3])
/// let zeros = Tensor(zeros: [2, 384])
/// ```
public struct Tensor: Sendable, Equatable {
    /// The size of each dimension, outermost first. A scalar has shape `[]`.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count` is the product of `shape`.
    public var scalars: [Float] {
        willSet { precondition(newValue.count == scalars.count, "Tensor.scalars must keep its count") }
    }

    /// Creates a tensor from a shape and exactly as many scalars as the shape holds.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(Tensor.elementCount(of: shape) == scalars.count,
                     "shape \(shape) holds \(Tensor.elementCount(of: shape)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor of the given shape filled with zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: Tensor.elementCount(of: shape)))
    }

    /// The number of scalars.
    public var count: Int { scalars.count }

    /// The number of scalars a shape holds (1 for a scalar's empty shape).
    public static func elementCount(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Returns the same scalars viewed with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, scalars: scalars) }
}
