import AsyncHTTPClient
import Basics
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1


/// A bucket of any S3-compatible store (AWS S3, MinIO, R2, Ceph RGW, moto…), spoken to with
/// AsyncHTTPClient and requests signed by ``SigV4Signer``.
///
/// Objects up to ``multipartThreshold`` go in one `PUT`; larger ones as a multipart upload of
/// ``partSize`` parts (aborted on failure and on cancellation, so nothing half-written is ever
/// visible and no part lingers). Every request is retried on 5xx, 429 (throttling), 408, timeouts
/// and dropped connections with the providers' ``Basics/RetryPolicy`` (exponential backoff, full
/// jitter, `Retry-After`); a server that sends no byte for ``timeout`` counts as a failed attempt.
/// A download that fails or is cancelled leaves no file at its destination.
public final class S3Remote: RemoteStore {
    public let bucket: String
    public let prefix: String
    public let endpoint: URL
    public let pathStyle: Bool
    let signer: SigV4Signer
    let retry: RetryPolicy
    let client: HTTPClient
    let now: @Sendable () -> Date
    /// Objects above this size are sent as a multipart upload.
    public let multipartThreshold: Int64
    /// The size of each part of a multipart upload (S3's minimum is 5 MiB, except the last).
    public let partSize: Int64
    /// How long a request may wait for the server's next byte (and at most for a connection).
    public let timeout: Duration

    /// - Parameters:
    ///   - endpoint: `https://s3.REGION.amazonaws.com` for AWS, the server's URL otherwise.
    ///   - pathStyle: `endpoint/bucket/key` (MinIO, moto, most self-hosted stores) instead of `bucket.endpoint/key`.
    ///   - transfer: timeout, retries and multipart sizes (``RemoteTransferSettings``).
    public init(
        bucket: String, prefix: String, endpoint: URL, region: String, pathStyle: Bool, credentials: AWSCredentials,
        transfer: RemoteTransferSettings = RemoteTransferSettings(), now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.multipartThreshold = transfer.multipartThreshold
        self.partSize = max(RemoteTransferSettings.minimumPartSize, transfer.partSize)
        self.timeout = transfer.timeout
        self.retry = transfer.retry
        self.bucket = bucket
        self.prefix = prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.endpoint = endpoint
        self.pathStyle = pathStyle
        self.signer = SigV4Signer(credentials: credentials, region: region, service: "s3")
        self.now = now
        var configuration = HTTPClient.Configuration()
        let idle = TimeAmount.milliseconds(max(1, Int64(transfer.timeout.seconds * 1000)))
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: min(idle, .seconds(10)), read: idle)
        configuration.redirectConfiguration = .disallow
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public var description: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)") }

    public func shutDown() async { try? await client.shutdown() }

    /// The URL of `key` (percent-encoded path).
    func url(_ key: String, query: String? = nil) -> URL {
        let objectPath = (prefix.isEmpty ? key : "\(prefix)/\(key)")
        let encoded = SigV4Signer.encode(objectPath, keepSlash: true)
        var base = endpoint.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if pathStyle {
            base += "/\(SigV4Signer.encode(bucket))"
        } else if let scheme = endpoint.scheme, let host = endpoint.host {
            base = "\(scheme)://\(bucket).\(host)" + (endpoint.port.map { ":\($0)" } ?? "")
        }
        return URL(string: base + "/" + encoded + (query.map { "?\($0)" } ?? ""))!  // swift-format-ignore: NeverForceUnwrap (built from encoded parts)
    }

    // MARK: - RemoteStore

    public func exists(_ key: String) async throws -> Bool {
        let (status, _, _) = try await send("HEAD", url(key), what: "look for \(key)")
        if status == 404 { return false }
        guard (200..<300).contains(status) else { throw failure(status, body: Data(), what: "look for \(key)") }
        return true
    }

    public func download(_ key: String, to destination: URL) async throws -> Bool {
        do {
            let (status, _, body) = try await send("GET", url(key), streamingTo: destination, what: "download \(key)")
            if status == 404 { return false }
            guard (200..<300).contains(status) else { throw failure(status, body: body, what: "download \(key)") }
            return true
        } catch {
            // Half a body is never left behind, whether the server failed or the user interrupted.
            try? FileManager.default.removeItem(at: destination)
            throw error
        }
    }

    public func upload(_ source: URL, as key: String, sha256: String?) async throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: source.path)[.size] as? Int64) ?? 0
        if size > multipartThreshold {
            try await multipartUpload(source, size: size, key: key)
            return
        }
        let data: Data
        do {
            data = try Data(contentsOf: source)
        } catch {
            throw RemoteError(.io, "cannot read \(source.path): \(error.localizedDescription)")
        }
        let hash = sha256 ?? ContentHash.of(data).hex
        let (status, _, body) = try await send("PUT", url(key), body: data, payloadHash: hash, what: "upload \(key)")
        guard (200..<300).contains(status) else { throw failure(status, body: body, what: "upload \(key)") }
    }

    /// CreateMultipartUpload, one UploadPart per ``partSize`` bytes, CompleteMultipartUpload; any
    /// failure aborts the upload so that no part lingers and the key never appears half-written.
    func multipartUpload(_ source: URL, size: Int64, key: String) async throws {
        let (status, _, created) = try await send("POST", url(key, query: "uploads="), what: "start the upload of \(key)")
        guard (200..<300).contains(status), let uploadID = Self.xmlValue("UploadId", in: created) else {
            throw failure(status, body: created, what: "start the upload of \(key)")
        }
        let encodedID = SigV4Signer.encode(uploadID)
        do {
            guard let handle = FileHandle(forReadingAtPath: source.path) else {
                throw RemoteError(.io, "cannot read \(source.path)")
            }
            defer { try? handle.close() }
            var parts: [(Int, String)] = []
            var number = 1
            while true {
                let chunk = try handle.read(upToCount: Int(partSize)) ?? Data()
                if chunk.isEmpty { break }
                let hash = ContentHash.of(chunk).hex
                let (status, headers, body) = try await send(
                    "PUT", url(key, query: "partNumber=\(number)&uploadId=\(encodedID)"), body: chunk, payloadHash: hash,
                    what: "upload part \(number) of \(key)")
                guard (200..<300).contains(status), let etag = headers.first(name: "etag") else {
                    throw failure(status, body: body, what: "upload part \(number) of \(key)")
                }
                parts.append((number, etag))
                number += 1
            }
            let xml = "<CompleteMultipartUpload>"
                + parts.map { "<Part><PartNumber>\($0.0)</PartNumber><ETag>\($0.1)</ETag></Part>" }.joined()
                + "</CompleteMultipartUpload>"
            let body = Data(xml.utf8)
            let (done, _, answer) = try await send(
                "POST", url(key, query: "uploadId=\(encodedID)"), body: body, payloadHash: ContentHash.of(body).hex,
                what: "complete the upload of \(key)")
            // S3 may answer 200 with an <Error> body when completing fails.
            guard (200..<300).contains(done), Self.xmlValue("Code", in: answer) == nil else {
                throw failure(done, body: answer, what: "complete the upload of \(key)")
            }
        } catch {
            // In a task of its own: an interrupted push (a cancelled task) still aborts its upload.
            let abort = url(key, query: "uploadId=\(encodedID)")
            _ = await Task { try? await self.send("DELETE", abort, what: "abort the upload of \(key)", attempts: 2) }.value
            throw error
        }
    }

    // MARK: - Requests

    /// Sends a signed request, retrying 5xx, 429, 408, timeouts and connection failures.
    /// - Parameters:
    ///   - destination: where a successful response's body is streamed (then the returned body is empty).
    ///   - attempts: at most this many tries (default: the retry policy's).
    /// - Throws: `CancellationError` when the task is cancelled, else ``RemoteError`` naming the remote.
    func send(
        _ method: String, _ url: URL, body: Data = Data(), payloadHash: String = SigV4Signer.emptyPayloadHash,
        streamingTo destination: URL? = nil, what: String, attempts: Int? = nil
    ) async throws -> (status: Int, headers: HTTPHeaders, body: Data) {
        let maxAttempts = attempts ?? retry.maxAttempts
        var attempt = 0
        while true {
            try Task.checkCancellation()
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = HTTPMethod(rawValue: method)
            var headers: [String: String] = [:]
            if !body.isEmpty || method == "PUT" { headers["content-length"] = String(body.count) }
            for (name, value) in signer.signedHeaders(method: method, url: url, headers: headers, payloadHash: payloadHash, date: now()) {
                request.headers.add(name: name, value: value)
            }
            if !body.isEmpty || method == "PUT" || method == "POST" {
                request.body = .bytes(ByteBuffer(data: body))
            }
            var retryAfter: Duration?
            let outcome: Result<(Int, HTTPHeaders, Data), RemoteError>
            do {
                // No overall deadline (a large model may take long); `timeout` bounds each silence.
                let response = try await client.execute(request, timeout: .hours(24))
                let status = Int(response.status.code)
                if let destination, (200..<300).contains(status) {
                    let expected = response.headers.first(name: "content-length").flatMap(Int64.init)
                    try await Self.stream(response.body, to: destination, expected: expected)
                    return (status, response.headers, Data())
                }
                let bytes = try await response.body.collect(upTo: 1 << 20)
                if status >= 500 || status == 429 || status == 408 {
                    retryAfter = response.headers.first(name: "retry-after").flatMap(Double.init).map { .seconds($0) }
                    outcome = .failure(failure(status, body: Data(buffer: bytes), what: what))
                } else {
                    return (status, response.headers, Data(buffer: bytes))
                }
            } catch let error as CancellationError {
                throw error
            } catch {
                // A cancelled request fails with the client's own error: it is an interruption, not a fault.
                if Task.isCancelled { throw CancellationError() }
                outcome = .failure(connectionFailure(error, what: what))
            }
            attempt += 1
            guard case .failure(var error) = outcome else { continue }
            if attempt >= maxAttempts {
                if maxAttempts > 1 { error.message += " (\(attempt) attempts)" }
                throw error
            }
            try await Task.sleep(for: retry.delay(afterAttempt: attempt - 1, retryAfter: retryAfter, unit: Double.random(in: 0..<1)))
        }
    }

    /// A request that got no complete answer (timed out, connection refused or dropped) as an
    /// error naming the remote and what to check; never a credential.
    func connectionFailure(_ error: any Error, what: String) -> RemoteError {
        let reason: String
        var remedy = "check the remote's endpoint (\(endpoint.absoluteString)) and that it is reachable"
        let seconds = String(format: "%g", timeout.seconds)
        let client = error as? HTTPClientError
        if client == .readTimeout || client == .connectTimeout || client == .deadlineExceeded {
            reason = "the server sent nothing for \(seconds) s"
            remedy += "; a slow server needs a longer wait: remote.timeout in lunette.yaml or LUNETTE_REMOTE_TIMEOUT (seconds)"
        } else if client == .remoteConnectionClosed {
            reason = "the server closed the connection before answering in full"
        } else if let error = error as? RemoteError {
            return error
        } else {
            reason = "\(error)"
        }
        return RemoteError(.connection, "cannot \(what) at \(description): \(reason)", remedy: remedy)
    }

    /// Writes a response body to `destination` chunk by chunk (any earlier file there is replaced).
    /// - Parameter expected: the `Content-Length`; fewer bytes (a dropped connection) is a connection error.
    static func stream(_ body: HTTPClientResponse.Body, to destination: URL, expected: Int64?) async throws {
        try? FileManager.default.removeItem(at: destination)
        guard FileManager.default.createFile(atPath: destination.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: destination.path)
        else { throw RemoteError(.io, "cannot write \(destination.path)") }
        defer { try? handle.close() }
        var written: Int64 = 0
        for try await chunk in body {
            try handle.write(contentsOf: Data(buffer: chunk))
            written += Int64(chunk.readableBytes)
        }
        // A cancelled body may simply end: that is an interruption, not a short object.
        try Task.checkCancellation()
        if let expected, written != expected { throw HTTPClientError.remoteConnectionClosed }
    }

    /// A failed request as an error naming the remote, the status and S3's error code (when the
    /// answer has a body), never a credential.
    func failure(_ status: Int, body: Data, what: String) -> RemoteError {
        let answer = Self.xmlValue("Code", in: body).map { "\($0) (HTTP \(status))" } ?? "HTTP \(status)"
        let remedy: String
        switch status {
        case 401, 403: remedy = "check the credentials (AWS_ACCESS_KEY_ID / AWS_PROFILE) and that they may read and write \(description)"
        case 404: remedy = "check that the bucket '\(bucket)' exists at \(endpoint.absoluteString)"
        case 429, 503:
            remedy = "the server is busy or throttling: try again later, or move fewer objects at once (remote.jobs in lunette.yaml, LUNETTE_REMOTE_JOBS)"
        default: remedy = "try again later; if it persists, check the remote's health"
        }
        return RemoteError(.request, "cannot \(what) at \(description): \(answer)", remedy: remedy)
    }

    /// The text of the first `<name>` element of an XML body.
    static func xmlValue(_ name: String, in body: Data) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        guard let start = text.range(of: "<\(name)>"), let end = text.range(of: "</\(name)>", range: start.upperBound..<text.endIndex)
        else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }
}
