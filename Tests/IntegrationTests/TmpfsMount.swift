import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted on a temporary folder, for tests that need a disk that fills up or turns
/// read-only. Mounting needs root (CAP_SYS_ADMIN); ``isPermitted`` says whether this machine allows
/// it, so those tests are skipped, saying why, where it does not.
final class TmpfsMount: @unchecked Sendable {
    let url: URL
    private var mounted = false

    /// Mounts a tmpfs of `kilobytes` KiB on a new temporary folder.
    init(kilobytes: Int) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-tmpfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        guard Glibc.mount("tmpfs", url.path, "tmpfs", 0, "size=\(kilobytes)k,mode=0755") == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: url)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EPERM)
        }
        mounted = true
    }

    deinit {
        if mounted { umount2(url.path, Int32(MNT_DETACH)) }
        try? FileManager.default.removeItem(at: url)
    }

    /// Remounts with a new size (larger: the disk has been cleared) and writable or read-only.
    func remount(kilobytes: Int, readOnly: Bool = false) throws {
        let flags = UInt(MS_REMOUNT) | (readOnly ? UInt(MS_RDONLY) : 0)
        guard Glibc.mount("tmpfs", url.path, "tmpfs", flags, "size=\(kilobytes)k,mode=0755") == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    /// Whether a tmpfs can be mounted here (tried once on a scratch folder).
    static let isPermitted: Bool = {
        guard geteuid() == 0, let probe = try? TmpfsMount(kilobytes: 64) else { return false }
        _ = probe
        return true
    }()
}
