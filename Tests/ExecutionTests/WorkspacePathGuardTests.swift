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
    private func refusal(_ path: String, in root: URL, protected: [String] = []) -> String? {
        do {
            try WorkspacePathGuard.check(path, in: root, before: "clear or write output 'y'", protected: protected)
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

    /// Review of issue 14: a link to the workspace itself, or to a folder the project reads, passed.
    @Test("through a link made during the run, an output that is really the workspace, its workflows/ or a file it reads is refused")
    func linksToTheWorkspaceOrWhatItReads() throws {
        let temp = try TemporaryDirectory(prefix: "guard")
        defer { temp.remove() }
        let root = temp("ws")
        try temp.write("project: p\n", to: "ws/workflows/p.yaml")
        try temp.write("text,label\n", to: "ws/data/test.csv")
        try temp.write("x", to: "ws/out/a.txt")
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("lk").path, withDestinationPath: ".")
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("dl").path, withDestinationPath: "data")
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("ol").path, withDestinationPath: "out")
        let reads = ["data/test.csv"]
        #expect(refusal("lk", in: root, protected: reads)?.hasSuffix("lk is really the workspace itself") == true)
        #expect(refusal("lk/workflows", in: root, protected: reads)?.hasSuffix("lk/workflows is really workflows") == true)
        #expect(refusal("lk/data", in: root, protected: reads)?.hasSuffix("is really data, which holds data/test.csv") == true)
        #expect(refusal("dl/test.csv", in: root, protected: reads)?.hasSuffix("dl/test.csv is really data/test.csv") == true)
        // What the project does not read stays usable through a link, as before.
        #expect(refusal("ol/b.txt", in: root, protected: reads) == nil)
        #expect(refusal("dl/other.csv", in: root, protected: reads) == nil)
    }
}
