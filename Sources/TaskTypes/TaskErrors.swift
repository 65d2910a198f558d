import TaskInterface

/// The ``TaskError``s the built-in task types share, phrased once.
enum TaskErrors {
    /// A file could not be read.
    static func cannotRead(_ path: String, reason: String) -> TaskError {
        TaskError("cannot read \(path): \(reason)", remedy: "check that the file exists and is readable")
    }

    /// A file could not be written.
    static func cannotWrite(_ path: String, reason: String) -> TaskError {
        TaskError("cannot write \(path): \(reason)", remedy: "check that the folder exists and is writable")
    }

    /// A parameter is missing or has the wrong type: a planner bug or a hand-written stage.
    static func badParameter(_ key: String, expected: String, stage: String) -> TaskError {
        TaskError(
            "stage \(stage): parameter '\(key)' must be \(expected)",
            remedy: "set params.\(key) to \(expected)")
    }

    /// `/bin/sh` could not be started.
    static func commandDidNotStart(reason: String) -> TaskError {
        TaskError(
            "cannot start /bin/sh: \(reason)", remedy: "check that /bin/sh exists and the process limit is not reached")
    }
}
