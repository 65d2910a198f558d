import Basics
import Foundation
import Testing
@testable import Server

/// Loads every dashboard page in headless Chromium, as a person would, and checks what it shows.
@Suite("The dashboard in a real browser", .serialized)
struct DashboardTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("HTML escaping covers the five special characters")
    func escaping() {
        #expect(HTML.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(HTML.component("tone b/é") == "tone%20b%2F%C3%A9")
    }

    @Test("each page shows what it should, escaped, and is saved as a screenshot")
    func pages() async throws {
        guard let chromium = Self.chromium else {
            print("skipped: no chromium found (apt-get install chromium) — the dashboard was not checked in a browser")
            return
        }
        let fixture = try await ServerFixture.get()
        let server = try await RunningServer.start(fixture: fixture)
        defer { server.stop() }
        let shots = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-serve-shots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let pages: [(path: String, name: String, expected: [String], absent: [String])] = [
            ("/", "projects", ["Projects", "shop", "Tone checks &lt;b&gt;for&lt;/b&gt; support &amp; sales", "registered"], ["<b>for</b>"]),
            ("/projects/shop", "runs", ["tone-a", "tone-b", "polite", "data/train.csv", "data/test.csv", "Macro F1", "registered", "queued"], []),
            ("/projects/shop?status=registered", "runs-filtered", ["tone-b", "registered"], ["tone-a"]),
            ("/projects/shop?metric=nothing", "runs-empty", ["No runs match these filters."], ["tone-b"]),
            ("/runs/shop/tone-b", "run", ["Run shop/tone-b", "Stages", "evaluate", "register", "succeeded", "Open the evaluation report", "Confusion matrix", "Reliability", "<svg"], []),
            ("/runs/shop/tone-b/report", "report", ["polite"], []),
            ("/registry", "registry", ["Registry", "polite", "shop/tone-b", "boolean"], []),
            ("/runs/shop/nope", "missing", ["Not found", "no run named"], []),
        ]
        for page in pages {
            let dom = try await Self.browse(chromium, ["--dump-dom", server.base + page.path])
            for text in page.expected {
                #expect(dom.contains(text), "\(page.path) should show '\(text)'")
            }
            for text in page.absent {
                #expect(!dom.contains(text), "\(page.path) should not show '\(text)'")
            }
            let file = shots.appendingPathComponent("\(page.name).png")
            _ = try await Self.browse(chromium, ["--screenshot=\(file.path)", "--window-size=1200,900", server.base + page.path])
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
            #expect(size > 1000, "\(page.path): no screenshot at \(file.path)")
        }
        print("dashboard screenshots: \(shots.path)")
    }

    /// Runs headless Chromium and returns what it printed, off the cooperative pool (the server
    /// under test needs its threads to answer).
    static func browse(_ chromium: String, _ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { done in
            DispatchQueue.global().async { done.resume(with: Result { try browseNow(chromium, arguments) }) }
        }
    }

    private static func browseNow(_ chromium: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(profile.path)",
        ] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
