import Basics
import Foundation
import TaskInterface

/// The `exec` stage: runs a user's shell command that reads declared inputs and writes declared
/// outputs.
///
/// Params: `command` (run as `/bin/sh -c command`), `directory` (workspace-relative folder to run
/// in, default `.`), `outputs` (output name → workspace-relative path the command writes).
///
/// The command sees the stage's environment plus:
///
/// | variable | value |
/// |---|---|
/// | `LUNETTE_INPUT_<NAME>` | the local path of each input |
/// | `LUNETTE_OUTPUT_<NAME>` | the path each output must be written to |
/// | `LUNETTE_STAGE` | the stage id, `project/run/stage` |
/// | `LUNETTE_STAGE_SCRATCH` | this execution's scratch folder (`cache/work/stage-<uuid>`): it marks the command's processes, so a later run can end them if Lunette was killed |
///
/// where `<NAME>` is the name uppercased with every character other than A–Z and 0–9 turned
/// into `_` (`test-set` → `TEST_SET`).
///
/// Before the command runs, stale copies of the declared outputs are removed (and their folders
/// created), so a command that forgets to write one fails instead of passing on an old file. The
/// command's output is streamed to the stage log; on a non-zero exit the error carries its last
/// 20 lines. The process group is killed on cancellation (see ``ProcessGroupRunner``).
///
/// Users declare what they run, so the stage counts as deterministic: `lunette verify` re-runs it
/// and compares the outputs.
public struct ExecCommand: TaskType {
    public static let id = "exec"
    public static let version = 1
    /// Lines of output kept for the error message of a failed command.
    public static let tailLineCount = 20

    public init() {}

    public var isDeterministic: Bool { true }

    public func run(_ context: StageContext) async throws -> StageResult {
        let stage = context.stageID.description
        guard let command = context.params["command"]?.stringValue, !command.allSatisfy(\.isWhitespace) else {
            throw TaskErrors.badParameter("command", expected: "a shell command", stage: stage)
        }
        let directoryText = context.params["directory"]?.stringValue ?? "."
        let directory = context.workingDirectory.appendingPathComponent(directoryText).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw TaskError(
                "stage \(stage): the folder to run in, '\(directoryText)', does not exist (\(directory.path))",
                remedy: "create it, or fix the stage's directory")
        }
        let outputs = try declaredOutputs(context)

        var environment = context.environment
        environment["LUNETTE_STAGE"] = stage
        environment["LUNETTE_STAGE_SCRATCH"] = context.scratchDirectory.deletingLastPathComponent().path
        for (name, url) in context.inputs { environment["LUNETTE_INPUT_\(ExecCommand.variableName(name))"] = url.path }
        for output in outputs {
            environment["LUNETTE_OUTPUT_\(ExecCommand.variableName(output.name))"] = output.url.path
        }

        for output in outputs { try prepare(output) }

        let reporter = context.reporter
        var tail: [String] = []
        let termination = try await ProcessGroupRunner.run(
            command: command, directory: directory, environment: environment,
            groupFile: context.scratchDirectory.deletingLastPathComponent().appendingPathComponent(StageContext.processGroupFileName)
        ) { line in
            reporter.log(line)
            tail.append(line)
            if tail.count > ExecCommand.tailLineCount { tail.removeFirst(tail.count - ExecCommand.tailLineCount) }
        }

        let tailText = tail.isEmpty ? "" : "\n  last output:\n" + tail.map { "    \($0)" }.joined(separator: "\n")
        switch termination {
        case .exited(0):
            break
        case .exited(let status):
            throw TaskError(
                "command exited with status \(status)\(tailText)",
                remedy: "run it by hand in \(directoryText) to see what went wrong: \(command)")
        case .signalled(let signal):
            throw TaskError(
                "command was killed by signal \(ProcessGroupRunner.describe(signal: signal))\(tailText)",
                remedy: "check for crashes or memory limits; run it by hand in \(directoryText): \(command)")
        }
        for output in outputs where !FileManager.default.fileExists(atPath: output.url.path) {
            throw TaskError(
                "command exited 0 but did not write declared output '\(output.name)' (\(output.displayPath))",
                remedy: "make the command write $LUNETTE_OUTPUT_\(ExecCommand.variableName(output.name)), "
                    + "or fix the output's path in the manifest")
        }
        let written = outputs.isEmpty ? "" : "; wrote \(outputs.map(\.name).joined(separator: ", "))"
        return StageResult(summary: "ran \(ExecCommand.abbreviated(command))\(written)")
    }

    /// An output the command must write.
    struct Output {
        var name: String
        var url: URL
        /// The path as declared (workspace-relative), for messages.
        var displayPath: String
    }

    /// The outputs from `params.outputs` and ``StageContext/outputs``, sorted by name.
    func declaredOutputs(_ context: StageContext) throws -> [Output] {
        guard let declared = context.params["outputs"].map({ $0.objectValue }) ?? [:] else {
            throw TaskErrors.badParameter(
                "outputs", expected: "an object (name: path)", stage: context.stageID.description)
        }
        let names = Set(declared.keys).union(context.outputs.keys).sorted()
        return try names.map { name in
            let path = declared[name]?.stringValue
            if declared[name] != nil && path == nil {
                throw TaskErrors.badParameter("outputs.\(name)", expected: "a path", stage: context.stageID.description)
            }
            let url = context.outputs[name] ?? context.workingDirectory.appendingPathComponent(path ?? name)
            return Output(name: name, url: url, displayPath: path ?? url.path)
        }
    }

    /// Removes a stale output and creates its folder.
    private func prepare(_ output: Output) throws {
        let manager = FileManager.default
        do {
            if (try? manager.attributesOfItem(atPath: output.url.path)) != nil {
                try manager.removeItem(at: output.url)
            }
            try manager.createDirectory(at: output.url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw TaskError(
                "cannot clear the old copy of output '\(output.name)' (\(output.displayPath)): \(error.localizedDescription)",
                remedy: "check the permissions of \(output.url.deletingLastPathComponent().path)")
        }
    }

    /// `test-set` → `TEST_SET`: uppercased, every character but A–Z and 0–9 replaced by `_`.
    public static func variableName(_ name: String) -> String {
        String(
            String.UnicodeScalarView(
                name.uppercased().unicodeScalars.map { scalar in
                    ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) ? scalar : "_"
                }))
    }

    /// The command on one line, cut to 80 characters.
    static func abbreviated(_ command: String) -> String {
        let line = command.split(whereSeparator: \.isNewline).joined(separator: " ; ")
        return line.count > 80 ? String(line.prefix(77)) + "..." : line
    }
}
