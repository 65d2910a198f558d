import ArgumentParser
import Basics
import Foundation
import MLCore
import WorkflowModel

/// `lunette models`: the base models Lunette knows, where they are installed, and how to install the rest.
public struct ModelsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the base models: installed ones with parameters, size and digest; the install command for the rest.",
        discussion: "--json prints {\"models\": [{\"name\", \"installed\", \"path\", \"missing\", \"parameters\", \"size_bytes\", \"sha256\", \"verified\", …}]} (docs/json-output.md).")

    @Flag(help: "Print JSON (see docs/json-output.md).") var json = false

    public init() {}

    /// What is known about one catalogued base model on this machine.
    struct Inspection {
        var model: BaseModel
        var directory: URL
        var missing: [String]
        var parameters: Int?
        var sizeBytes: Int?
        var digest: String?
        /// Why the installed files could not be read.
        var problem: String?

        var installed: Bool { missing.isEmpty }
    }

    /// Looks at each catalogued model's folder: which files are missing; otherwise its parameter
    /// count, size and weights digest.
    static func inspect(_ model: BaseModel) -> Inspection {
        let directory = ModelLocation.directory(for: model.folder)
        let missing = model.requiredFiles.filter {
            !FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }
        var inspection = Inspection(model: model, directory: directory, missing: missing)
        guard missing.isEmpty else { return inspection }
        let weights = directory.appendingPathComponent("model.safetensors").path
        do {
            let file = try SafeTensorsFile(path: weights)
            inspection.parameters = file.entries.values.filter(\.dtype.isFloatingPoint)
                .reduce(0) { $0 + Tensor.elementCount(of: $1.shape) }
            inspection.digest = try ContentHash.ofFile(at: weights).hash.hex
            inspection.sizeBytes = folderSize(directory)
        } catch {
            inspection.problem = "\(error)"
        }
        return inspection
    }

    public func run() async throws {
        let inspections = BaseModel.catalog.map(Self.inspect)
        if json {
            print(JSONValue.object(["models": .array(inspections.map(\.jsonValue))]).prettyText)
            return
        }
        var blocks: [String] = []
        for inspection in inspections {
            let model = inspection.model
            let directory = inspection.directory
            guard inspection.installed else {
                blocks.append("""
                    \(model.name)  (\(model.upstream))
                      not installed (looked in \(directory.path); missing \(inspection.missing.joined(separator: ", ")))
                      install:    \(model.installCommand)
                    """)
                continue
            }
            var lines = ["\(model.name)  (\(model.upstream))"]
            if let parameters = inspection.parameters, let digest = inspection.digest, let size = inspection.sizeBytes {
                let verdict = digest == model.weightsDigest ? "verified" : "DIFFERS from the published \(model.weightsDigest)"
                lines.append("  parameters: \(Self.millions(parameters))")
                lines.append("  size:       \(Self.megabytes(size))")
                lines.append("  sha256:     \(digest) (\(verdict))")
            } else {
                lines.append("  unreadable: \(inspection.problem ?? "unknown error")")
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

extension ModelsCommand.Inspection {
    /// `models --json`'s shape for one model (see docs/json-output.md).
    var jsonValue: JSONValue {
        .object([
            "name": .string(model.name), "upstream": .string(model.upstream), "path": .string(directory.path),
            "installed": .bool(installed), "missing": .array(missing.map(JSONValue.string)),
            "install_command": .string(model.installCommand), "published_sha256": .string(model.weightsDigest),
            "sha256": digest.map(JSONValue.string) ?? .null,
            "verified": digest.map { .bool($0 == model.weightsDigest) } ?? .null,
            "parameters": parameters.map(JSONValue.int) ?? .null, "size_bytes": sizeBytes.map(JSONValue.int) ?? .null,
            "error": problem.map(JSONValue.string) ?? .null,
        ])
    }
}
