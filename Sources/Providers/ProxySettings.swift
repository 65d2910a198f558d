import Basics
import Foundation

/// The proxies the environment names, as most HTTP clients read them (curl reads only the
/// lower-case `http_proxy`; the upper-case name is read here too).
///
/// - `https_proxy` / `HTTPS_PROXY` for `https://` URLs, `http_proxy` / `HTTP_PROXY` for `http://`
///   ones (the lower-case name wins when both are set): `http://[user:password@]host[:port]`
///   (port 80 when left out; no scheme means `http://`), or `socks5://host[:port]` (1080).
/// - `no_proxy` / `NO_PROXY`: a comma-separated list of hosts that go direct. `example.com` and
///   `.example.com` both match `example.com` and every host under it; `host:port` matches that
///   port only; `*` alone turns proxying off.
///
/// Loopback hosts (`localhost`, `*.localhost`, `127.x.x.x`, `::1`) always go direct, listed or not:
/// a local model server is never reached through a company proxy.
///
/// A proxy's password is a ``Secret``; descriptions and errors name the variable and `host:port`,
/// never the URL as written.
public struct ProxySettings: Sendable, Hashable {
    /// One proxy server.
    public struct Server: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        public enum Kind: Sendable, Hashable { case http, socks5 }
        public var kind: Kind
        public var host: String
        public var port: Int
        public var username: String?
        public var password: Secret?
        /// The variable it came from (`HTTPS_PROXY`, …), for messages.
        public var variable: String

        /// The same proxy whatever variable named it: `HTTP_PROXY` and `HTTPS_PROXY` naming one
        /// server share one client.
        public static func == (a: Server, b: Server) -> Bool {
            a.kind == b.kind && a.host == b.host && a.port == b.port && a.username == b.username && a.password == b.password
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(kind)
            hasher.combine(host)
            hasher.combine(port)
            hasher.combine(username)
        }

        /// `the proxy host:port (HTTPS_PROXY)`; never the credentials.
        public var description: String { "the proxy \(host):\(port) (\(variable))" }
        public var debugDescription: String { description }
        public var customMirror: Mirror {
            Mirror(self, children: ["host": host, "port": port, "variable": variable], displayStyle: .struct)
        }
    }

    /// The proxy for `http://` URLs: a server, or why the variable cannot be used.
    public var http: Result<Server, ProviderError>?
    /// The proxy for `https://` URLs.
    public var https: Result<Server, ProviderError>?
    /// `no_proxy`'s entries, lower-cased, without leading dots.
    public var bypass: [String]

    /// No proxy at all.
    public init() {
        bypass = []
    }

    /// Reads `https_proxy`, `http_proxy` and `no_proxy` (either case) from `environment`.
    ///
    /// A variable that is not a usable proxy URL fails only the requests that would use it (see
    /// ``server(for:)``).
    public init(environment: [String: String]) {
        self.init()
        http = Self.server(in: environment, names: ["http_proxy", "HTTP_PROXY"])
        https = Self.server(in: environment, names: ["https_proxy", "HTTPS_PROXY"])
        let list = Self.value(in: environment, names: ["no_proxy", "NO_PROXY"])?.value ?? ""
        bypass = list.split(separator: ",").map { entry in
            var entry = entry.trimmingCharacters(in: .whitespaces).lowercased()
            while entry.hasPrefix(".") || entry.hasPrefix("*.") { entry.removeFirst(entry.hasPrefix(".") ? 1 : 2) }
            return entry
        }.filter { !$0.isEmpty }
    }

    /// Every proxy server named, once each (``Server`` equality ignores the variable), for making one
    /// client per proxy.
    public var servers: [Server] {
        var servers: [Server] = []
        for case .success(let server)? in [http, https] where !servers.contains(server) { servers.append(server) }
        return servers
    }

    /// The proxy a request to `url` goes through, or `nil` to go direct.
    /// - Throws: ``ProviderError`` with code `configuration` when the variable that applies is not
    ///   a usable proxy URL (its value is never repeated: it may hold a password).
    public func server(for url: String) throws(ProviderError) -> Server? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            var host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        let proxy: Result<Server, ProviderError>?
        switch scheme {
        case "https": proxy = https
        case "http": proxy = http
        default: proxy = nil
        }
        guard let proxy else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host.removeLast() }
        if Self.isLoopback(host) { return nil }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        if bypass.contains(where: { Self.matches($0, host: host, port: port) }) { return nil }
        return try proxy.get()
    }

    /// Whether the `no_proxy` entry `entry` covers `host:port`.
    static func matches(_ entry: String, host: String, port: Int) -> Bool {
        if entry == "*" { return true }
        var name = entry
        if let colon = entry.lastIndex(of: ":"), !entry.hasSuffix("]"), entry.filter({ $0 == ":" }).count == 1 {
            guard Int(entry[entry.index(after: colon)...]) == port else { return false }
            name = String(entry[..<colon])
        }
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        return host == name || host.hasSuffix("." + name)
    }

    /// `localhost`, `*.localhost`, `127.0.0.0/8` and `::1`.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    private static func value(in environment: [String: String], names: [String]) -> (name: String, value: String)? {
        for name in names {
            if let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return (name, value) }
        }
        return nil
    }

    private static func server(in environment: [String: String], names: [String]) -> Result<Server, ProviderError>? {
        guard let (name, value) = value(in: environment, names: names) else { return nil }
        do throws(ProviderError) {
            return .success(try parse(value, variable: name))
        } catch {
            return .failure(error)
        }
    }

    private static func parse(_ value: String, variable name: String) throws(ProviderError) -> Server {
        let text = value.contains("://") ? value : "http://" + value
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw ProviderError(
                .configuration, "\(name) is not a proxy URL",
                remedy: "set \(name) to http://[user:password@]host:port, or unset it")
        }
        let kind: Server.Kind
        switch scheme {
        case "http": kind = .http
        case "socks5", "socks5h": kind = .socks5
        default:
            throw ProviderError(
                .configuration, "\(name) names a \(scheme):// proxy; only http:// and socks5:// proxies are supported",
                remedy: "set \(name) to http://[user:password@]host:port, or unset it")
        }
        if kind == .socks5, components.user != nil {
            throw ProviderError(
                .configuration, "\(name) gives a user for a socks5:// proxy; SOCKS authentication is not supported",
                remedy: "use an http:// proxy for authentication, or one that needs none")
        }
        var bareHost = host
        if bareHost.hasPrefix("["), bareHost.hasSuffix("]") { bareHost = String(bareHost.dropFirst().dropLast()) }
        return Server(
            kind: kind, host: bareHost, port: components.port ?? (kind == .socks5 ? 1080 : 80),
            username: components.user, password: components.password.map { Secret($0) }, variable: name)
    }
}
