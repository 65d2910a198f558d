import Execution
import Foundation
import TaskInterface
import Testing
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// ``WorkspacePathGuard``: the check made right before an output is cleared, restored or published.
@Suite struct WorkspacePathGuardTests {
    private func refusal(_ path: String, in root: URL) -> String? {
        do {
            try WorkspacePathGuard.check(path, in: root, before: "clear or write output 'y'")
            return nil
        } catch let error as TaskError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("paths through a symlink leading out of the workspace, into its own cache/, or nowhere are refused, naming the link")
    func refusedLinks() throws {
        let temp = try TemporaryDirectory(prefix: "guard")
        defer { temp.remove() }
        let outside = try TemporaryDirectory(prefix: "guard-outside")
        defer { outside.remove() }
        let root = temp("ws")
        try temp.write("precious", to: "ws/cache/lunette.sqlite")
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("lk").path, withDestinationPath: outside.path)
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("store").path, withDestinationPath: "cache")
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("gone").path, withDestinationPath: "/nonexistent-\(UUID())")

        let outsideReal = try #require(realpath(outside.path, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        })
        #expect(refusal("lk/y.txt", in: root)
            == "refusing to clear or write output 'y': lk/y.txt goes through the symlink lk -> \(outsideReal), outside the workspace")
        #expect(refusal("lk", in: root)?.hasSuffix("outside the workspace") == true)
        #expect(refusal("store/lunette.sqlite", in: root)?.hasSuffix("into the workspace's own cache/") == true)
        #expect(refusal("gone/y.txt", in: root)?.contains("gone, a symlink that leads nowhere") == true)
        #expect(refusal("../y.txt", in: root)?.contains("leaves the workspace") == true)
    }

    @Test("plain paths, paths not created yet and symlinks that stay inside the workspace pass")
    func allowedPaths() throws {
        let temp = try TemporaryDirectory(prefix: "guard")
        defer { temp.remove() }
        let root = temp("ws")
        try temp.write("x", to: "ws/out/a.txt")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("alias").path, withDestinationPath: "out")
        #expect(refusal("out/a.txt", in: root) == nil)
        #expect(refusal("out/new/deeper/b.txt", in: root) == nil)
        #expect(refusal("alias/a.txt", in: root) == nil)
        #expect(refusal("./out/a.txt", in: root) == nil)
    }
}
