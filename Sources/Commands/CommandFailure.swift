import ArgumentParser
import Basics
import Foundation
import Planning
import Workspace

/// Maps errors to what the user sees and the exit code: the only place that does.
enum CommandFailure {
    static let invalidInput: Int32 = 2
    static let busy: Int32 = 3
    static let interrupted: Int32 = 130

    /// Prints `error` to stderr and returns the exit code to end with.
    static func report(_ error: any Error) -> ExitCode {
        if error is ExitCode { return error as! ExitCode }  // swift-format-ignore: NeverForceUnwrap
        if let error = error as? WorkspaceError {
            printError(error.code == .invalidManifests ? error.description : "error: \(error.description)")
            if error.code == .invalidManifests {
                let count = error.diagnostics.filter(\.isError).count
                printError("\n\(count) error\(count == 1 ? "" : "s") in manifests; nothing ran.")
                return ExitCode(invalidInput)
            }
            if error.code == .busy { return ExitCode(busy) }
            if error.code == .unknownRun || error.code == .wouldOverwrite || error.code == .notAWorkspace {
                return ExitCode(invalidInput)
            }
            return .failure
        }
        if let error = error as? PlanningError {
            printError("error: \(error.description)")
            return error.code == .unknownTarget ? ExitCode(invalidInput) : .failure
        }
        if error is CancellationError {
            printError("interrupted")
            return ExitCode(interrupted)
        }
        printError("error: \(error)")
        return .failure
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Whether standard output is a terminal.
var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
