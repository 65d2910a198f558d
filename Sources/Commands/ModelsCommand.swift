import ArgumentParser
import Basics
import Foundation
import MLCore
import WorkflowModel

/// `lunette models`: the base models Lunette knows, where they are installed, and how to install the rest.
public struct ModelsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the base models: installed ones with parameters, size and digest; the install command for the rest.")

    public init() {}

    public func run() async throws {
        var blocks: [String] = []
        for model in BaseModel.catalog {
            let directory = ModelLocation.directory(for: model.folder)
            let missing = model.requiredFiles.filter {
                !FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
            }
            guard missing.isEmpty else {
                blocks.append("""
                    \(model.name)  (\(model.upstream))
                      not installed (looked in \(directory.path); missing \(missing.joined(separator: ", ")))
                      install:    \(model.installCommand)
                    """)
                continue
            }
            let weights = directory.appendingPathComponent("model.safetensors").path
            var lines = ["\(model.name)  (\(model.upstream))"]
            do {
                let file = try SafeTensorsFile(path: weights)
                let parameters = file.entries.values.filter(\.dtype.isFloatingPoint)
                    .reduce(0) { $0 + Tensor.elementCount(of: $1.shape) }
                let digest = try ContentHash.ofFile(at: weights).hash.hex
                let verdict = digest == model.weightsDigest ? "verified" : "DIFFERS from the published \(model.weightsDigest)"
                lines.append("  parameters: \(Self.millions(parameters))")
                lines.append("  size:       \(Self.megabytes(Self.folderSize(directory)))")
                lines.append("  sha256:     \(digest) (\(verdict))")
            } catch {
                lines.append("  unreadable: \(error)")
                lines.append("  reinstall:  \(model.installCommand)")
            }
            lines.append("  path:       \(directory.path)")
            blocks.append(lines.joined(separator: "\n"))
        }
        print(blocks.joined(separator: "\n\n"))
    }

    private static func millions(_ count: Int) -> String {
        String(format: "%.1f M (%d)", Double(count) / 1e6, count)
    }

    private static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1e6)
    }

    private static func folderSize(_ directory: URL) -> Int {
        guard let items = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.fileSizeKey]) else { return 0 }
        var total = 0
        for case let url as URL in items {
            total += (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
        }
        return total
    }
}
