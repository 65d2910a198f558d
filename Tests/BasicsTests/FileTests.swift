import Basics
import Foundation
import Testing
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite struct AtomicFileTests {
    @Test func writesCreatesFoldersReplacesAndLeavesNoTemporaryFile() throws {
        let temp = try TemporaryDirectory(prefix: "basics")
        defer { temp.remove() }
        let path = temp("a/b/lock.txt").path
        try AtomicFile.write(Data("first\n".utf8), to: path)
        #expect(temp.read("a/b/lock.txt") == "first\n")
        try AtomicFile.write(Data("second\n".utf8), to: path, permissions: 0o600)
        #expect(temp.read("a/b/lock.txt") == "second\n")
        #expect(temp.entries(in: "a/b") == ["lock.txt"])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // Without fsync (a stamp): the same replacement, just not durable.
        try AtomicFile.write(Data("third\n".utf8), to: path, durable: false)
        #expect(temp.read("a/b/lock.txt") == "third\n")
        #expect(temp.entries(in: "a/b") == ["lock.txt"])
    }

    @Test func failureNamesThePathAndLeavesNothingBehind() throws {
        let temp = try TemporaryDirectory(prefix: "basics")
        defer { temp.remove() }
        try temp.write("keep", to: "dir/x")
        // The destination is a non-empty folder: rename(2) refuses to replace it.
        let error = try #require(throws: FileSystemError.self) {
            try AtomicFile.write(Data("new".utf8), to: temp("dir").path)
        }
        #expect(error.code == .cannotRename)
        #expect(error.path == temp("dir").path)
        #expect(temp.entries() == ["dir"])
        #expect(temp.read("dir/x") == "keep")
    }

    @Test func staleTemporariesOfDeadWritersAreRemovedAndLiveOnesKept() throws {
        let temp = try TemporaryDirectory(prefix: "basics")
        defer { temp.remove() }
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        try temp.write("half", to: "w/.tmp-\(dead)-123")
        try temp.write("mine", to: "w/.tmp-\(getpid())-456")
        try temp.write("odd", to: "w/.tmp-notapid-1")
        try temp.write("lock", to: "w/demo.lock")
        #expect(AtomicFile.removeStaleTemporaries(in: temp("w").path) == [".tmp-\(dead)-123"])
        #expect(temp.entries(in: "w") == [".tmp-\(getpid())-456", ".tmp-notapid-1", "demo.lock"])
    }
}

@Suite struct FileLockTests {
    /// flock(2) locks belong to the open file description, so two FileLock values in one process
    /// (each with its own `open`) exclude each other just as two processes do.
    @Test func secondLockOnTheSamePathIsRefusedUntilTheFirstUnlocks() throws {
        let temp = try TemporaryDirectory(prefix: "basics")
        defer { temp.remove() }
        let path = temp("cache/lunette.lock").path
        let first = FileLock(path: path)
        let second = FileLock(path: path)
        #expect(try first.tryLock(describing: "lunette run demo"))
        #expect(try !second.tryLock(describing: "lunette run other"))
        #expect(second.holderDescription() == "pid \(getpid()): lunette run demo")
        first.unlock()
        #expect(try second.tryLock(describing: "lunette run other"))
        #expect(first.holderDescription() == "pid \(getpid()): lunette run other")
        #expect(try !first.tryLock(describing: "again"))
        second.unlock()
    }

    @Test func lockIsReleasedWhenTheValueGoesAway() throws {
        let temp = try TemporaryDirectory(prefix: "basics")
        defer { temp.remove() }
        let path = temp("l.lock").path
        do {
            let holder = FileLock(path: path)
            try holder.lock(describing: "short-lived")
            let probe = try FileLock(path: path).tryLock(describing: "probe")
            #expect(!probe)
            withExtendedLifetime(holder) {}
        }
        let later = FileLock(path: path)
        #expect(try later.tryLock(describing: "later"))
    }

    @Test func anotherProcessSeesTheLock() throws {
        let temp = try TemporaryDirectory(prefix: "basics")
        defer { temp.remove() }
        let path = temp("p.lock").path
        let lock = FileLock(path: path)
        #expect(try lock.tryLock(describing: "test"))
        #expect(try flockExitStatus(path) == 1)  // flock -n fails while we hold it
        lock.unlock()
        #expect(try flockExitStatus(path) == 0)
    }

    private func flockExitStatus(_ path: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        process.arguments = ["-n", path, "true"]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite struct FileSystemErrorTests {
    @Test func descriptionSaysWhatWhereAndHowToFix() {
        #expect(
            FileSystemError(.cannotWrite, path: "cache/x", errno: ENOSPC).description
                == "cannot write 'cache/x': No space left on device (the disk is full: free space and re-run; nothing was half-written)")
        #expect(
            FileSystemError(.cannotOpen, path: "w.yaml", errno: EACCES).description
                == "cannot open 'w.yaml': Permission denied (check the permissions of this path)")
        #expect(FileSystemError(.cannotLock, path: "l").description == "cannot lock 'l'")
    }
}
