import Foundation
import GRDB
import Testing

@testable import RunStore

@Suite("RunStore on one file from two handles")
struct MultiProcessTests {
    @Test("two stores on one file (two processes) can both write, concurrently")
    func twoHandlesWrite() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("lunette.sqlite")
        let first = try RunStore(path: path)
        let second = try RunStore(path: path)
        #expect(second.schemaVersion == first.schemaVersion)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in [first, second].enumerated() {
                group.addTask {
                    for step in 0..<25 {
                        let id = try store.beginInvocation(command: "writer \(index)", pid: Int32(index), at: date(Double(step)))
                        try store.saveStatEntries([
                            StatEntry(path: "f\(index)-\(step)", size: 1, mtimeNs: 1, ctimeNs: 1, inode: 1, digest: .of("x"), recordedAtNs: 9_000_000_000)
                        ])
                        try store.finishInvocation(id, outcome: "succeeded", stats: [:], at: date(Double(step) + 0.5))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try first.recentInvocations(limit: 100).count == 50)
        #expect(try second.statEntries().count == 50)
        #expect(try second.recentInvocations(limit: 100).allSatisfy { $0.outcome == "succeeded" })

        // A third opening (a later process) sees everything and migrates nothing.
        let third = try RunStore(path: path)
        #expect(try third.recentInvocations(limit: 1).first?.command.hasPrefix("writer") == true)
        #expect(try third.integrityCheck() == ["ok"])
        try third.close()
        let closed = #expect(throws: StoreError.self) { try third.integrityCheck() }
        #expect(closed?.path == path.standardizedFileURL.path)
    }

    @Test("a file migrated by a newer Lunette is refused with a clear error")
    func newerSchemaIsRefused() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("lunette.sqlite")
        let store = try RunStore(path: path)
        try store.write("fake a newer migration") { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
        }
        let error = #expect(throws: StoreError.self) { try RunStore(path: path) }
        #expect(error?.code == .newerSchema)
        #expect(error?.description.contains("upgrade Lunette") == true)
    }
}
