import ArgumentParser
import Basics
import Foundation
import Planning
import Server
import Workspace

/// Maps errors to what the user sees and the exit code: the only place that does.
enum CommandFailure {
    static let invalidInput: Int32 = 2
    static let busy: Int32 = 3
    /// `check` could not be made (an unreadable file or store): not to be mistaken for its "stale" 1.
    static let couldNotCheck: Int32 = 4
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
        if let error = error as? ServerConfigurationError {
            // Thrown once the arguments were accepted (the address cannot be listened on).
            printError("error: \(error.message)\n  fix: \(error.remedy)")
            return .failure
        }
        if let error = error as? ValidationError {
            // A bad value found once the command ran (`--column x`): a usage error like the others.
            printError("error: \(error.message)")
            return ExitCode(invalidInput)
        }
        if let text = fileErrorText(error) {
            printError("error: \(text)")
            return .failure
        }
        printError("error: \(error)")
        return .failure
    }

    /// Foundation's file errors (`Error Domain=NSCocoaErrorDomain Code=260 …`) as what failed, the
    /// path, the system's reason and a fix; `nil` for any other error.
    static func fileErrorText(_ error: any Error) -> String? {
        guard let error = error as? CocoaError, (256..<1024).contains(error.code.rawValue) else { return nil }
        let path = error.filePath ?? error.url?.path ?? "(no path given)"
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        var number = underlying?.domain == NSPOSIXErrorDomain ? underlying.map { Int32($0.code) } : nil
        if number == nil {
            switch error.code {
            case .fileReadNoSuchFile: number = ENOENT
            case .fileReadNoPermission, .fileWriteNoPermission: number = EACCES
            case .fileWriteOutOfSpace: number = ENOSPC
            case .fileWriteVolumeReadOnly: number = EROFS
            default: break
            }
        }
        let verb = error.code.rawValue >= 512 ? "cannot write" : "cannot read"
        let reason = number.map { String(cString: strerror($0)) } ?? "error \(error.code.rawValue)"
        let remedy: String
        switch number {
        case ENOENT: remedy = "check the spelling of the path, or create the file first"
        case EACCES, EPERM: remedy = "check the permissions of this path"
        case ENOSPC, EDQUOT: remedy = "the disk is full: free space and re-run"
        case EROFS: remedy = "the file system is read-only: make it writable or pick another path"
        case EISDIR: remedy = "give a file, not a folder"
        default: remedy = "check the path and re-run"
        }
        return "\(verb) '\(path)': \(reason)\n  fix: \(remedy)"
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Whether standard output is a terminal.
var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
