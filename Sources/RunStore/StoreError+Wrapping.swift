import GRDB

extension StoreError {
    /// Wraps any error from GRDB (or the file system) into a ``StoreError`` with a remedy.
    ///
    /// A ``StoreError`` passes through unchanged. GRDB's `DatabaseError` description leaves out
    /// statement arguments by default, so values never reach the message.
    static func wrapping(_ error: any Error, _ message: String, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let databaseError = error as? DatabaseError else {
            return StoreError(.database, message, path: path, remedy: "check the file's permissions", cause: error)
        }
        switch databaseError.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError(
                .busy, message + ": another process kept the store locked for over \(Int(RunStore.busyTimeout)) s",
                path: path, remedy: "wait for the other Lunette command to finish, or stop it", cause: error)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StoreError(
                .corrupt, message + ": the database file is damaged", path: path,
                remedy: "move the file aside to start a fresh history (the content cache is not affected)", cause: error)
        case .SQLITE_FULL:
            return StoreError(
                .database, message + ": the disk is full", path: path,
                remedy: "free space on the disk holding the store and re-run", cause: error)
        case .SQLITE_IOERR:
            return StoreError(
                .database, message + ": a disk read or write failed (\(databaseError.message ?? "disk I/O error"))",
                path: path,
                remedy: "check that the disk holding the store has free space and is writable (df -h, dmesg), then re-run",
                cause: error)
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN:
            return StoreError(
                .database, message + ": \(databaseError.message ?? "cannot write")", path: path,
                remedy: "check the permissions of the file and its folder", cause: error)
        default:
            return StoreError(
                .database, message + ": \(databaseError.message ?? "SQLite error \(databaseError.resultCode)")",
                path: path,
                remedy: "re-run; if it happens again, move the file aside to start a fresh history "
                    + "(the content cache is not affected)",
                cause: error)
        }
    }
}
