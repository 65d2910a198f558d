import Basics
import Foundation
import Testing
import _TestSupport

/// The bucket Lunette writes is plain S3 that other tools read: objects a `lunette push` made are
/// listed and fetched with the AWS CLI (`aws --endpoint-url`, against moto_server on loopback), every
/// key follows the layout `Sources/RemoteCache/README.md` documents, and every object's SHA-256 is
/// its name. Skipped, saying so, without moto_server or the AWS CLI (`scripts/test` installs both).
@Suite("Remote cache: the bucket read with the AWS CLI", .serialized)
struct RemoteCacheInteropTests {
    /// `$LUNETTE_AWS_CLI`, else `aws` on PATH; `nil` when neither is there.
    static var awsCLI: String? {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [environment["LUNETTE_AWS_CLI"]].compactMap { $0 }
            + (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/aws" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `aws --endpoint-url ENDPOINT ARGUMENTS` with the tests' credentials and no user config.
    static func aws(_ cli: String, endpoint: String, _ arguments: [String]) throws -> (status: Int32, output: Data, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = ["--endpoint-url", endpoint] + arguments
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in RemoteCacheEndToEndTests.credentials where !value.isEmpty { environment[name] = value }
        for name in ["AWS_SESSION_TOKEN", "AWS_PROFILE"] { environment.removeValue(forKey: name) }
        environment["AWS_DEFAULT_REGION"] = "us-east-1"
        environment["AWS_CONFIG_FILE"] = "/dev/null"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        process.environment = environment
        let output = Pipe()
        let error = FileManager.default.temporaryDirectory.appendingPathComponent("aws-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: error.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: error) }
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: error)
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data, (try? String(contentsOf: error, encoding: .utf8)) ?? "")
    }

    @Test("aws s3 lists and fetches what lunette push wrote; each key follows the layout and each object hashes to its name")
    func awsCLIReadsTheBucket() async throws {
        guard let cli = Self.awsCLI else {
            print("note: the AWS CLI is not installed (scripts/test installs it); the interop test is skipped")
            return
        }
        guard let moto = try MotoServer.start() else {
            print("note: moto_server is not installed (scripts/test installs it); the interop test is skipped")
            return
        }
        defer { moto.stop() }
        let bucket = "lunette-interop"
        try moto.createBucket(bucket)
        // A trained run: rows, a split, a model folder (tree object + files), a report, records.
        let workspace = try await RemoteCacheEndToEndTests.trained(
            remote: "remote:\n  url: s3://\(bucket)/team\n  endpoint: \(moto.endpoint)\n  region: us-east-1\n")
        let push = try await SpawnedLunette.run(["push", "--json"], in: workspace, extra: RemoteCacheEndToEndTests.credentials)
        #expect(push.status == 0, "\(push.error)")
        let uploaded = try #require(try JSONValue.parse(push.output)["uploaded"]?.arrayValue).compactMap(\.stringValue)

        // `aws s3 ls --recursive`: DATE TIME SIZE KEY per line.
        let listing = try Self.aws(cli, endpoint: moto.endpoint, ["s3", "ls", "--recursive", "s3://\(bucket)/team/"])
        #expect(listing.status == 0, "\(listing.error)")
        let listed = String(decoding: listing.output, as: UTF8.self).split(separator: "\n").compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init)
        }
        #expect(Set(listed) == Set(uploaded.map { "team/\($0)" }), "\(listed)")
        let layout = try Regex(#"^team/(objects/([0-9a-f]{2})/(\2[0-9a-f]{62})|actions/([0-9a-f]{2})/(\4[0-9a-f]{62})\.json|memo/([0-9a-f]{2})/(\6[0-9a-f]{62}))$"#)
        for key in listed {
            #expect(key.wholeMatch(of: layout) != nil, "\(key) is not in the documented layout")
        }

        // `aws s3 cp --recursive` fetches it all: objects hash to their names, records name their key.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-aws-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: copy) }
        let fetched = try Self.aws(cli, endpoint: moto.endpoint, ["s3", "cp", "--recursive", "--quiet", "s3://\(bucket)/team/", copy.path])
        #expect(fetched.status == 0, "\(fetched.error)")
        var objects = 0
        for key in listed {
            let path = String(key.dropFirst("team/".count))
            let data = try Data(contentsOf: copy.appendingPathComponent(path))
            let name = (path as NSString).lastPathComponent
            if path.hasPrefix("objects/") {
                objects += 1
                #expect(ContentHash.of(data).hex == name, "\(key) does not hash to its name")
            } else if path.hasPrefix("actions/") {
                let record = try JSONValue.parse(String(decoding: data, as: UTF8.self))
                #expect(record["key"]?.stringValue == "sha256:" + name.dropLast(".json".count), "\(key)")
                for output in (record["outputs"]?.objectValue ?? [:]).values {
                    let digest = try #require(output["digest"]?.stringValue?.dropFirst("sha256:".count))
                    #expect(listed.contains("team/objects/\(digest.prefix(2))/\(digest)"), "\(key) names an object not in the bucket")
                }
            }
        }
        #expect(objects >= 6)
        // And no multipart upload is left pending.
        let uploads = try Self.aws(cli, endpoint: moto.endpoint, ["s3api", "list-multipart-uploads", "--bucket", bucket])
        #expect(uploads.status == 0, "\(uploads.error)")
        #expect(!String(decoding: uploads.output, as: UTF8.self).contains("UploadId"))
    }
}
