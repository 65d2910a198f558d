import Basics
import Basics
import Foundation

import RemoteCache
import Testing

/// ``SigV4Signer`` against AWS's published Signature Version 4 test suite (credentials AKIDEXAMPLE,
/// 2015-08-30T12:36:00Z, us-east-1, service `service`) and the S3 API reference's examples.
@Suite("AWS Signature Version 4")
struct SigV4SignerTests {
    static let suite = SigV4Signer(
        credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")),
        region: "us-east-1", service: "service")
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z

    static func signature(_ headers: [String: String]) -> String? {
        headers["Authorization"]?.components(separatedBy: "Signature=").last
    }

    @Test("get-vanilla: the whole Authorization header")
    func getVanilla() throws {
        let headers = Self.suite.signedHeaders(
            method: "GET", url: try #require(URL(string: "https://example.amazonaws.com/")), headers: [:],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.suiteDate)
        #expect(headers["Authorization"]
            == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
            + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(headers["x-amz-date"] == "20150830T123600Z")
        #expect(headers["host"] == "example.amazonaws.com")
    }

    @Test("post-vanilla and get-vanilla-query-order-key-case (query sorted by name)")
    func otherVectors() throws {
        let post = Self.suite.signedHeaders(
            method: "POST", url: try #require(URL(string: "https://example.amazonaws.com/")), headers: [:],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.suiteDate)
        #expect(Self.signature(post) == "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
        let query = Self.suite.signedHeaders(
            method: "GET", url: try #require(URL(string: "https://example.amazonaws.com/?Param2=value2&Param1=value1")), headers: [:],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.suiteDate)
        #expect(Self.signature(query) == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test("the S3 API reference's GET Object example (a Range header, x-amz-content-sha256 signed)")
    func s3GetObject() throws {
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")),
            region: "us-east-1", service: "s3")
        let headers = signer.signedHeaders(
            method: "GET", url: try #require(URL(string: "https://examplebucket.s3.amazonaws.com/test.txt")),
            headers: ["Range": "bytes=0-9"], payloadHash: SigV4Signer.emptyPayloadHash,
            date: Date(timeIntervalSince1970: 1_369_353_600))  // 20130524T000000Z
        #expect(headers["Authorization"]
            == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test("a session token is sent and signed; the secret never shows in a description")
    func sessionToken() throws {
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: Secret("s3cr3t-value"), sessionToken: Secret("t0ken-value"))
        let signer = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "s3")
        let headers = signer.signedHeaders(
            method: "PUT", url: try #require(URL(string: "http://127.0.0.1:9000/bucket/objects/ab/abcd")), headers: [:],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.suiteDate)
        #expect(headers["x-amz-security-token"] == "t0ken-value")
        #expect(headers["host"] == "127.0.0.1:9000")
        #expect(headers["Authorization"]?.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,") == true)
        #expect(!"\(credentials)".contains("s3cr3t") && !"\(credentials)".contains("t0ken"))
    }

    @Test("credentials come from the environment, else the AWS_PROFILE of the shared credentials file")
    func credentials() throws {
        let fromEnvironment = try AWSCredentials.resolve(environment: ["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "B"])
        #expect(fromEnvironment.accessKeyID == "A" && fromEnvironment.secretAccessKey.revealedValue == "B")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)")
        try "[default]\naws_access_key_id = D\naws_secret_access_key = E\n\n[profile ci]\naws_access_key_id=C\naws_secret_access_key=F\naws_session_token = G\n"
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let ci = try AWSCredentials.resolve(environment: ["AWS_SHARED_CREDENTIALS_FILE": file.path, "AWS_PROFILE": "ci"])
        #expect(ci.accessKeyID == "C" && ci.sessionToken?.revealedValue == "G")
        #expect(try AWSCredentials.resolve(environment: ["AWS_SHARED_CREDENTIALS_FILE": file.path]).accessKeyID == "D")
        #expect(throws: RemoteError.self) { try AWSCredentials.resolve(environment: ["AWS_ACCESS_KEY_ID": "A"]) }
        do {
            _ = try AWSCredentials.resolve(environment: ["AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/creds", "HOME": "/nonexistent"])
            Issue.record("no credentials must be an error")
        } catch let error as RemoteError {
            #expect(error.code == .credentials)
            #expect(error.remedy?.contains("AWS_ACCESS_KEY_ID") == true)
        }
    }
}
