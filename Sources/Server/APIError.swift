import Basics
import Foundation
import Hummingbird

/// An error the scoring API answers with: a status and `{"error":{"code","message"}}`.
///
/// Thrown from route handlers; Hummingbird turns it into the response through ``response(from:context:)``.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// A stable machine-readable code (`invalid_row`, `unknown_metric`, `too_large`, `overloaded`, …).
    public var code: String
    /// What went wrong and how to fix it.
    public var message: String
    /// Extra headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// The JSON body.
    public var body: JSONValue { ["error": ["code": .string(code), "message": .string(message)]] }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make(body, status: status)
        for field in headers { response.headers.append(field) }
        return response
    }
}

/// Builds JSON and HTML responses.
enum JSONResponse {
    /// A response carrying `value` as canonical JSON (sorted keys, deterministic).
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.canonicalText + "\n")))
    }

    /// A response carrying an HTML page.
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// A plain-text response.
    static func text(_ text: String, contentType: String = "text/plain; charset=utf-8", status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
