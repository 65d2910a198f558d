import Basics
import Foundation
import Testing
import Workspace

@testable import Server

/// Defects a hostile user found in `lunette serve` (issue 14).
@Suite("The scoring API under a hostile user (issue 14)", .serialized)
struct ServerDefectTests {
    @Test(
        "a metric reference with a control character is refused with 400, never truncated to another metric",
        arguments: ["polite%00x", "polite%00", "polite@1%0A", "polite%1B"])
    func controlCharacterInReference(reference: String) async throws {
        let fixture = try await ServerFixture.get()
        let server = try await RunningServer.start(fixture: fixture)
        defer { server.stop() }
        let answer = try await server.json(
            "/v1/metrics/\(reference)/score", method: "POST", json: ["rows": [["input": "Thank you"]]])
        #expect(answer.status == 400, "\(answer.value.canonicalText)")
        #expect(answer.value["error"]?["code"]?.stringValue == "invalid_reference")
        let message = try #require(answer.value["error"]?["message"]?.stringValue)
        #expect(message.hasPrefix("the reference in the path holds a control character (U+00"), "\(message)")
    }

    @Test("the dashboard refuses a control character in a project or run name too")
    func controlCharacterInDashboardPath() async throws {
        let fixture = try await ServerFixture.get()
        let server = try await RunningServer.start(fixture: fixture)
        defer { server.stop() }
        let answer = try await server.request("/runs/shop%00x/tone-b")
        #expect(answer.status == 400, "\(answer.text)")
        #expect(answer.text.contains("invalid_path"), "\(answer.text)")
    }

    @Test("null, object and array inputs are refused by row and field, as the dataset loader refuses them")
    func nonTextInputRows() async throws {
        let fixture = try await ServerFixture.get()
        let server = try await RunningServer.start(fixture: fixture)
        defer { server.stop() }
        let answer = try await server.json(
            "/v1/metrics/polite/score", method: "POST",
            json: ["rows": [["input": .null], ["input": ["text": "hi"]], ["input": ["hi"]], ["input": "fine"], ["input": "  "]]])
        #expect(answer.status == 400, "\(answer.value.canonicalText)")
        #expect(answer.value["error"]?["code"]?.stringValue == "invalid_row")
        let message = try #require(answer.value["error"]?["message"]?.stringValue)
        #expect(
            message == "rows[0]: missing 'input' (the metric's input format is message); "
                + "rows[1]: 'input' must be text, not an object; rows[2]: 'input' must be text, not an array; "
                + "rows[4]: missing 'input' (the metric's input format is message)")

        let numbers = try await server.json(
            "/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": 42], ["input": true]]])
        #expect(numbers.status == 200, "numbers and booleans are text, as in the loader: \(numbers.value.canonicalText)")
    }

    @Test("a port in use is reported as the address and a fix, not NIO's bind(descriptor:ptr:bytes:)")
    func portInUse() async throws {
        let fixture = try await ServerFixture.get()
        let first = try await RunningServer.start(fixture: fixture)
        defer { first.stop() }
        let second = try LunetteServer(workspace: fixture.workspace, configuration: ServerConfiguration(port: first.port))
        do {
            try await second.run()
            Issue.record("a second server listened on the same port")
        } catch let error as ServerConfigurationError {
            #expect(error.message == "cannot listen on 127.0.0.1:\(first.port): address already in use")
            #expect(error.remedy == "pick another --port (0 picks a free one), or stop the process that holds this one")
        }
    }
}
