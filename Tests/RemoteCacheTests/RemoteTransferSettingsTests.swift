import Basics
import Foundation
import RemoteCache
import Testing

/// The transfer settings the environment gives an S3 remote: defaults, overrides, and a value out of
/// range refused with the variable's name.
@Suite("Remote transfer settings")
struct RemoteTransferSettingsTests {
    @Test("defaults: 60 s timeout, 5 attempts from 0.2 s, 64 MiB threshold, 16 MiB parts")
    func defaults() throws {
        let settings = try RemoteTransferSettings.from(environment: [:])
        #expect(settings.timeout == .seconds(60))
        #expect(settings.retry.maxAttempts == 5 && settings.retry.baseDelay == .milliseconds(200))
        #expect(settings.multipartThreshold == 64 << 20 && settings.partSize == 16 << 20)
        #expect(settings.jobs == 8)
    }

    @Test("the environment overrides each; parts are at least S3's 5 MiB")
    func overrides() throws {
        let settings = try RemoteTransferSettings.from(environment: [
            "LUNETTE_REMOTE_TIMEOUT": "1.5", "LUNETTE_REMOTE_RETRIES": "2", "LUNETTE_REMOTE_RETRY_DELAY": "0.01",
            "LUNETTE_REMOTE_MULTIPART_THRESHOLD": "100", "LUNETTE_REMOTE_PART_SIZE": "6291456",
        ])
        #expect(settings.timeout == .milliseconds(1500))
        #expect(settings.retry.maxAttempts == 3 && settings.retry.baseDelay == .milliseconds(10))
        #expect(settings.multipartThreshold == 100 && settings.partSize == 6 << 20)
        #expect(RemoteTransferSettings(partSize: 1024).partSize == RemoteTransferSettings.minimumPartSize)
    }

    @Test("the settings file's values are the base; each variable overrides its own; a file value out of range is ignored here (refused where the file is read)")
    func configured() throws {
        let settings = try RemoteTransferSettings.from(
            environment: ["LUNETTE_REMOTE_RETRIES": "1"],
            configured: ["timeout": 3, "retries": 6, "jobs": 12, "part_size": 7_340_032, "retry_delay": 500])
        #expect(settings.timeout == .seconds(3))
        #expect(settings.retry.maxAttempts == 2)
        #expect(settings.jobs == 12)
        #expect(settings.partSize == 7 << 20)
        #expect(settings.retry.baseDelay == .milliseconds(200))
    }

    @Test("a value that is not a number in range names its variable", arguments: [
        ("LUNETTE_REMOTE_TIMEOUT", "soon"), ("LUNETTE_REMOTE_TIMEOUT", "0"), ("LUNETTE_REMOTE_RETRIES", "-1"),
        ("LUNETTE_REMOTE_RETRIES", "100"), ("LUNETTE_REMOTE_PART_SIZE", "1024"), ("LUNETTE_REMOTE_RETRY_DELAY", "nan"),
        ("LUNETTE_REMOTE_RETRIES", "1.5"), ("LUNETTE_REMOTE_JOBS", "0"),
    ])
    func refused(name: String, value: String) throws {
        let error = try #require(throws: RemoteError.self) { try RemoteTransferSettings.from(environment: [name: value]) }
        #expect(error.code == .settings)
        #expect(error.message == "\(name)=\(value) is not " + (name.hasSuffix("RETRIES") ? "a number of retries" : name.hasSuffix("JOBS") ? "a number of transfers at once" : name.hasSuffix("PART_SIZE") ? "a number of bytes (at least 5 MiB)" : "a number of seconds"))
        #expect(error.remedy?.hasPrefix("set it to a number from") == true)
        #expect(error.remedy?.hasSuffix("or unset it for the default (or remote.\(name.dropFirst("LUNETTE_REMOTE_".count).lowercased()) in lunette.yaml)") == true, "\(error.remedy ?? "")")
        // Opening an S3 remote refuses it the same way, before any request.
        let location = RemoteLocation.s3(bucket: "b", prefix: "p", endpoint: nil, region: "us-east-1", pathStyle: false)
        #expect(throws: RemoteError.self) {
            try location.open(environment: ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", name: value])
        }
    }
}
