import Foundation
import RunStore
import Testing

/// The two places a store can live; every store test runs on both.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case file

    var testDescription: String { rawValue }

    /// A fresh, empty store, plus a closure that deletes its files.
    func makeStore() throws -> (store: RunStore, cleanup: @Sendable () -> Void) {
        switch self {
        case .memory:
            return (try RunStore.inMemory(), {})
        case .file:
            let folder = temporaryFolder()
            let store = try RunStore(path: folder.appendingPathComponent("cache/lunette.sqlite"))
            return (store, { try? FileManager.default.removeItem(at: folder) })
        }
    }
}

func temporaryFolder() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("lunette-store-tests-\(UUID().uuidString)")
}

/// A fixed instant plus `seconds` (keep to milliseconds: the store keeps millisecond precision).
func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: 1_700_000_000 + seconds) }
