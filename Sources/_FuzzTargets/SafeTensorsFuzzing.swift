import Foundation
import MLCore

/// The ``FuzzTarget/safetensors`` target: the input is a `.safetensors` file.
///
/// Invariants: every tensor the header declares has a shape whose element count matches its byte
/// range, reads as that many floats (integer tensors are refused with an error), and survives a round
/// trip through `SafeTensorsWriter` bit for bit.
enum SafeTensorsFuzzing {
    static func run(_ data: Data, in sandbox: FuzzSandbox) throws -> FuzzOutcome {
        let target = FuzzTarget.safetensors
        let url = try sandbox.write(data, to: "input/fuzz.safetensors")
        let file: SafeTensorsFile
        let tensors: [String: Tensor]
        do {
            file = try SafeTensorsFile(path: url.path)
            tensors = try file.floatTensors()
        } catch let error as MLCoreError {
            return .rejected(error.message)
        }
        for (name, entry) in file.entries {
            let count = Tensor.elementCount(of: entry.shape)
            try target.require(
                entry.dataRange.count == count * entry.dtype.byteSize,
                "tensor '\(name)' \(entry.shape) spans \(entry.dataRange.count) bytes")
            if let tensor = tensors[name] {
                try target.require(tensor.scalars.count == count, "tensor '\(name)' read \(tensor.scalars.count) of \(count)")
            }
        }
        let copy = try sandbox.write(SafeTensorsWriter.encode(tensors, metadata: file.metadata), to: "input/copy.safetensors")
        let reread: SafeTensorsFile
        let again: [String: Tensor]
        do {
            reread = try SafeTensorsFile(path: copy.path)
            again = try reread.floatTensors()
        } catch {
            throw InvariantViolation(target: target, message: "the re-encoded file does not read: \(error)")
        }
        try target.require(reread.metadata == file.metadata, "metadata changed in a round trip")
        try target.require(again.keys.sorted() == tensors.keys.sorted(), "tensor names changed in a round trip")
        for (name, tensor) in tensors {
            let other = again[name]
            try target.require(
                other?.shape == tensor.shape && other?.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern),
                "tensor '\(name)' changed in a round trip")
        }
        return .accepted("\(file.entries.count) tensor(s), \(tensors.count) read as floats")
    }
}
