import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A failed file-system operation, with the path and the system's reason.
public struct FileSystemError: Error, CustomStringConvertible, Sendable {
    /// What was being attempted.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public static let cannotOpen = Code(name: "cannot open")
        public static let cannotRead = Code(name: "cannot read")
        public static let cannotWrite = Code(name: "cannot write")
        public static let cannotRename = Code(name: "cannot rename")
        public static let cannotCreateDirectory = Code(name: "cannot create directory")
        public static let cannotLock = Code(name: "cannot lock")
        public var description: String { name }
    }

    public let code: Code
    public let path: String
    /// The `errno` value, when the system reported one.
    public let errno: Int32?

    public init(_ code: Code, path: String, errno: Int32? = nil) {
        self.code = code
        self.path = path
        self.errno = errno
    }

    public var description: String {
        var text = "\(code) '\(path)'"
        if let errno { text += ": " + String(cString: strerror(errno)) }
        if errno == ENOSPC || errno == EDQUOT {
            text += " (the disk is full: free space and re-run; nothing was half-written)"
        }
        if errno == EFBIG {
            text += " (the file size limit, `ulimit -f`, is too small: raise the limit and re-run; nothing was half-written)"
        }
        if errno == EROFS { text += " (the file system is read-only: make it writable and re-run)" }
        if errno == EACCES || errno == EPERM { text += " (check the permissions of this path)" }
        return text
    }
}
