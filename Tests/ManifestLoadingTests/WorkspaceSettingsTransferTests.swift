import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

/// The remote's transfer settings in `lunette.yaml` (`remote.timeout`, `retries`, `retry_delay`,
/// `jobs`, `multipart_threshold`, `part_size`): accepted values are kept by key, and a value of the
/// wrong type or out of range, or an unknown key, is an error located at its line and column, with
/// its key path and a remedy.
@Suite("Workspace settings: transfer settings")
struct WorkspaceSettingsTransferTests {
    static func read(_ options: String) -> (settings: RemoteSettings?, diagnostics: [Diagnostic]) {
        WorkspaceSettingsReader.read("remote:\n  url: s3://team/lunette\n" + options, file: "lunette.yaml")
    }

    @Test("every transfer setting is read, by key, as the number written")
    func accepted() throws {
        let (settings, diagnostics) = Self.read("""
              timeout: 7.5
              retries: 2
              retry_delay: 0
              jobs: 3
              multipart_threshold: 1e9
              part_size: 6291456

            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.rendered())")
        let remote = try #require(settings)
        #expect(remote.url == "s3://team/lunette")
        #expect(remote.transfer == [
            "timeout": 7.5, "retries": 2, "retry_delay": 0, "jobs": 3, "multipart_threshold": 1e9, "part_size": 6_291_456,
        ])
        #expect(remote.jobs == 3)
    }

    @Test("a value of the wrong type or out of range is an error at its value, with the key path and what is accepted", arguments: [
        ("timeout: 0", 12, "expected a number of seconds from 0.1 to 86400, not '0'"),
        ("timeout: soon", 12, "expected a number of seconds from 0.1 to 86400, not 'soon'"),
        ("timeout: \"30\"", 12, "expected a number of seconds from 0.1 to 86400, not the quoted string \"30\""),
        ("timeout: .nan", 12, "expected a number of seconds from 0.1 to 86400, not '.nan'"),
        ("retries: -1", 12, "expected a number of retries from 0 to 20 (a whole number), not '-1'"),
        ("retries: 2.5", 12, "expected a number of retries from 0 to 20 (a whole number), not '2.5'"),
        ("retries: [1, 2]", 12, "expected a number of retries from 0 to 20 (a whole number), not a list"),
        ("retry_delay: 61", 16, "expected a number of seconds from 0 to 60, not '61'"),
        ("jobs: 65", 9, "expected a number of transfers at once from 1 to 64 (a whole number), not '65'"),
        ("part_size: 1024", 14, "expected a number of bytes (at least 5 MiB) from 5242880 to 5000000000 (a whole number), not '1024'"),
        ("multipart_threshold: {a: 1}", 24, "expected a number of bytes from 0 to 5000000000000 (a whole number), not a mapping"),
    ])
    func refused(line: String, column: Int, message: String) throws {
        let (settings, diagnostics) = Self.read("  \(line)\n")
        #expect(settings == nil)
        let error = try #require(diagnostics.only)
        let key = String(line.prefix { $0 != ":" })
        #expect(error.isError)
        #expect(error.message == message)
        #expect(error.keyPath == "remote.\(key)")
        #expect(error.location == SourceLocation(file: "lunette.yaml", line: 3, column: column))
        #expect(error.sourceLine == "  \(line)")
        let variable = "LUNETTE_REMOTE_" + key.uppercased()
        #expect(error.hint?.hasPrefix("write a plain number from ") == true, "\(error.hint ?? "")")
        #expect(error.hint?.hasSuffix("or leave `\(key)` out for the default (\(variable) overrides it)") == true, "\(error.hint ?? "")")
        #expect(error.rendered().hasPrefix("lunette.yaml:3:\(column): error: \(message) (remote.\(key))"), "\(error.rendered())")
    }

    @Test("an unknown key under remote: is located, with a did-you-mean among the transfer keys")
    func unknownKey() throws {
        let (settings, diagnostics) = Self.read("  retires: 3\n  timout: 5\n")
        #expect(settings == nil)
        #expect(diagnostics.count == 2)
        #expect(diagnostics.map(\.message) == ["unknown key 'retires'", "unknown key 'timout'"])
        #expect(diagnostics.map(\.keyPath) == ["remote.retires", "remote.timout"])
        #expect(diagnostics.map(\.location) == [
            SourceLocation(file: "lunette.yaml", line: 3, column: 3), SourceLocation(file: "lunette.yaml", line: 4, column: 3),
        ])
        #expect(diagnostics.map(\.hint) == ["did you mean 'retries'?", "did you mean 'timeout'?"])
    }

    @Test("the keys and variables are one table: each key's variable is LUNETTE_REMOTE_ and the key in capitals")
    func oneTable() {
        #expect(RemoteTransferOption.all.map(\.key) == ["timeout", "retries", "retry_delay", "jobs", "multipart_threshold", "part_size"])
        for option in RemoteTransferOption.all {
            #expect(option.variable == "LUNETTE_REMOTE_" + option.key.uppercased())
        }
    }
}

extension Array {
    /// The one element, or `nil` when there are none or several.
    fileprivate var only: Element? { count == 1 ? first : nil }
}
