import Foundation

#if canImport(Glibc)
    import Glibc

    private func systemClose(_ descriptor: Int32) -> Int32 { Glibc.close(descriptor) }
    private func systemSend(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
        Glibc.send(descriptor, bytes, count, Int32(MSG_NOSIGNAL))
    }
#elseif canImport(Darwin)
    import Darwin

    private func systemClose(_ descriptor: Int32) -> Int32 { Darwin.close(descriptor) }
    private func systemSend(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
        Darwin.send(descriptor, bytes, count, 0)
    }
#endif

/// A blocking TCP connection that speaks HTTP/1.1 by hand, for tests that must send what a
/// well-behaved client never would: half a request head, a body dribbled a byte at a time, a
/// `Content-Length` that lies, garbage instead of a request line.
///
/// Calls block the calling thread: run them with ``offPool(_:)`` (a fresh thread), never on the
/// Swift concurrency pool, where a server under test needs the threads to answer.
///
/// ```swift
/// let response = try await RawHTTPConnection.offPool {
///     let connection = try RawHTTPConnection(port: port)
///     defer { connection.close() }
///     try connection.send(RawHTTPConnection.request("GET", "/healthz"))
///     return try connection.readResponse()
/// }
/// ```
public final class RawHTTPConnection: @unchecked Sendable {
    /// A response read off the wire.
    public struct Response: Sendable {
        public var status: Int
        /// Header names lower-cased.
        public var headers: [String: String]
        public var body: Data

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// The connection broke, timed out or the peer sent something unreadable.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private let descriptor: Int32
    private var buffer: [UInt8] = []

    /// Connects to `host:port` (an IPv4 address); reads and writes give up after `timeout` seconds.
    public init(port: Int, host: String = "127.0.0.1", timeout: Double = 10) throws {
        #if canImport(Glibc)
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        var time = timeval()
        time.tv_sec = .init(Int(timeout))
        time.tv_usec = .init(Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            _ = systemClose(descriptor)
            throw Failure(description: "connect to \(host):\(port) failed: errno \(code)")
        }
    }

    deinit { close() }

    private var isClosed = false

    /// Closes the socket (again is fine).
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = systemClose(descriptor)
    }

    /// Sends every byte of `bytes`.
    public func send(_ bytes: some Collection<UInt8>) throws {
        let array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let sent = array.withUnsafeBytes { raw in
                systemSend(descriptor, raw.baseAddress.map { $0 + offset }, array.count - offset)
            }
            guard sent > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    /// Sends a string as UTF-8.
    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads one response (its body sized by `Content-Length`, or read to the end of the connection).
    public func readResponse() throws -> Response {
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.find([13, 10, 13, 10], in: buffer)
            if headEnd == nil { try fill() }
        }
        let end = headEnd ?? 0
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw Failure(description: "not an HTTP status line: \(head.prefix(80))")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if let length = headers["content-length"].flatMap(Int.init) {
            while buffer.count < length { try fill() }
            let body = Data(buffer[..<length])
            buffer.removeFirst(length)
            return Response(status: status, headers: headers, body: body)
        }
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            return Response(status: status, headers: headers, body: try readChunks())
        }
        while (try? fill()) != nil {}
        defer { buffer.removeAll() }
        return Response(status: status, headers: headers, body: Data(buffer))
    }

    /// Whether the peer closes the connection within `seconds` (reading and discarding anything it sends).
    public func isClosedByPeer(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000)))
            if ready < 0 { return true }
            if ready == 0 { continue }
            var scratch = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &scratch, scratch.count, Int32(MSG_DONTWAIT))
            if count == 0 { return true }
            if count < 0 && errno != EAGAIN && errno != EWOULDBLOCK { return true }
        }
        return false
    }

    /// A request's bytes: method, path, `Host`, the headers given, and `Content-Length` when there is a body.
    public static func request(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (body ?? [])
    }

    /// Runs `body` on a thread of its own and returns its result.
    public static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func fill() throws {
        var scratch = [UInt8](repeating: 0, count: 65536)
        let count = recv(descriptor, &scratch, scratch.count, 0)
        guard count > 0 else {
            throw Failure(description: count == 0 ? "the peer closed the connection" : "recv failed: errno \(errno)")
        }
        buffer += scratch[..<count]
    }

    private func readChunks() throws -> Data {
        var body = Data()
        while true {
            var lineEnd = Self.find([13, 10], in: buffer)
            while lineEnd == nil {
                try fill()
                lineEnd = Self.find([13, 10], in: buffer)
            }
            let sizeText = String(decoding: buffer[..<(lineEnd ?? 0)], as: UTF8.self).split(separator: ";").first ?? ""
            buffer.removeFirst((lineEnd ?? 0) + 2)
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Failure(description: "bad chunk size '\(sizeText)'")
            }
            while buffer.count < size + 2 { try fill() }
            body.append(contentsOf: buffer[..<size])
            buffer.removeFirst(size + 2)
            if size == 0 { return body }
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<index + needle.count]) == needle { return index }
        }
        return nil
    }
}
