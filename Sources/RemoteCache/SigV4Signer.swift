import Crypto
import Basics
import Foundation


/// AWS Signature Version 4 for one request: the canonical request, the string to sign, the
/// derived key and the `Authorization` header, on swift-crypto's HMAC-SHA256.
///
/// Pure: the time comes in as an argument. Checked against AWS's published test-suite vectors
/// (`get-vanilla`, `post-vanilla`, `get-vanilla-query-order-key-case`) and the S3 API reference's
/// GET Object example (see `SigV4SignerTests`).
///
/// ```swift
/// let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
/// let headers = signer.signedHeaders(method: "GET", url: url, headers: [:], payloadHash: SigV4Signer.emptyPayloadHash, date: now)
/// ```
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    /// SHA-256 of the empty body, hex.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// The payload hash S3 accepts when the body is not hashed up front.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The headers to send: `headers` plus `host`, `x-amz-date`, `x-amz-security-token` (with a
    /// session token), `x-amz-content-sha256` (for S3) and `Authorization`.
    /// - Parameters:
    ///   - url: the request URL; its path must already be percent-encoded as it will be sent.
    ///   - payloadHash: hex SHA-256 of the body (or ``unsignedPayload``).
    public func signedHeaders(
        method: String, url: URL, headers: [String: String], payloadHash: String, date: Date
    ) -> [String: String] {
        var all = headers
        let stamp = Self.timestamp(date)
        all["host"] = Self.hostHeader(url)
        all["x-amz-date"] = stamp
        if service == "s3" { all["x-amz-content-sha256"] = payloadHash }
        if let token = credentials.sessionToken { all["x-amz-security-token"] = token.revealedValue }
        let (canonical, signedNames) = canonicalRequest(method: method, url: url, headers: all, payloadHash: payloadHash)
        let scope = "\(stamp.prefix(8))/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(stamp)\n\(scope)\n\(ContentHash.of(canonical).hex)"
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(day: String(stamp.prefix(8)))))
        all["Authorization"] =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedNames), Signature=\(signature)"
        return all
    }

    /// The canonical request and the `SignedHeaders` list (every header given, lower-cased, sorted).
    func canonicalRequest(method: String, url: URL, headers: [String: String], payloadHash: String) -> (String, String) {
        var byName: [String: [String]] = [:]
        for (name, value) in headers {
            let trimmed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            byName[name.lowercased(), default: []].append(trimmed)
        }
        let names = byName.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()  // swift-format-ignore: NeverForceUnwrap
        let signedNames = names.joined(separator: ";")
        let path = url.path(percentEncoded: true)
        let request = [
            method, path.isEmpty ? "/" : path, Self.canonicalQuery(url), canonicalHeaders, signedNames, payloadHash,
        ].joined(separator: "\n")
        return (request, signedNames)
    }

    /// Query parameters encoded as SigV4 wants (RFC 3986 unreserved characters kept), sorted by name then value.
    static func canonicalQuery(_ url: URL) -> String {
        guard let query = url.query(percentEncoded: true), !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&").map { item -> (String, String) in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = parts[0].removingPercentEncoding ?? parts[0]
            let value = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
            return (encode(name), encode(value))
        }
        return pairs.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters (and `/` when `keepSlash`).
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    func signingKey(day: String) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)))
        }
        let secret = SymmetricKey(data: Data(("AWS4" + credentials.secretAccessKey.revealedValue).utf8))
        return hmac(hmac(hmac(hmac(secret, day), region), service), "aws4_request")
    }

    /// `host` or `host:port` when the port is not the scheme's default.
    static func hostHeader(_ url: URL) -> String {
        let host = url.host(percentEncoded: false) ?? ""
        guard let port = url.port else { return host }
        if (url.scheme == "http" && port == 80) || (url.scheme == "https" && port == 443) { return host }
        return "\(host):\(port)"
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!  // swift-format-ignore: NeverForceUnwrap (UTC always exists)
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
