import Foundation
import Testing

@testable import RunStore

@Suite("Registry")
struct RegistryTests {
    @Test("versions count up per name, the same model is idempotent, aliases move", arguments: StoreBackend.allCases)
    func registry(backend: StoreBackend) throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        func register(_ name: String, _ model: String) throws -> (RegisteredMetric, Bool) {
            try store.register(
                name: name, modelDigest: model, reportDigest: "sha256:r", project: "p", run: "r", manifestDigest: nil,
                summary: "{\"macro_f1\":0.9}", at: date)
        }
        let (first, isNew) = try register("toxicity", "sha256:a")
        #expect(first.reference == "toxicity@1")
        #expect(isNew)
        #expect(try register("toxicity", "sha256:a").1 == false)
        #expect(try register("toxicity", "sha256:a").0.version == 1)
        #expect(try register("toxicity", "sha256:b").0.version == 2)
        #expect(try register("tone", "sha256:a").0.version == 1)

        #expect(try store.resolveMetric("toxicity")?.version == 2)
        #expect(try store.resolveMetric("toxicity@1")?.modelDigest == "sha256:a")
        #expect(try store.resolveMetric("toxicity@champion") == nil)
        try store.setAlias("champion", name: "toxicity", version: 1, at: date)
        #expect(try store.resolveMetric("toxicity@champion")?.version == 1)
        try store.setAlias("champion", name: "toxicity", version: 2, at: date)
        #expect(try store.resolveMetric("toxicity@champion")?.version == 2)
        #expect(try store.registeredMetrics().map(\.reference) == ["tone@1", "toxicity@1", "toxicity@2"])
        #expect(try store.registeredMetrics().last?.aliases == ["champion"])
        #expect(throws: StoreError.self) { try store.setAlias("x", name: "toxicity", version: 9, at: date) }
    }
}
