import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds API keys: the environment variable a manifest names (`api_key_env`), else the same name in
/// the credentials file.
///
/// The credentials file is `$LUNETTE_CREDENTIALS`, else `$XDG_CONFIG_HOME/lunette/credentials`,
/// else `$HOME/.config/lunette/credentials`: one `NAME=value` per line, `#` comments and blank
/// lines ignored, an optional `export ` prefix and surrounding quotes allowed. It is read only when
/// its mode gives nothing to group or others (`chmod 600`) and it belongs to the current user;
/// otherwise resolving fails with a message saying so. Keys are returned as ``Secret``s and never
/// appear in a message.
public struct Credentials: Sendable {
    public var environment: [String: String]
    /// The credentials file; see the type's documentation for the default.
    public var fileURL: URL?

    public init(environment: [String: String], fileURL: URL? = nil) {
        self.environment = environment
        self.fileURL = fileURL ?? Credentials.defaultFile(environment: environment)
    }

    /// `$LUNETTE_CREDENTIALS`, `$XDG_CONFIG_HOME/lunette/credentials` or `~/.config/lunette/credentials`.
    public static func defaultFile(environment: [String: String]) -> URL? {
        if let explicit = environment["LUNETTE_CREDENTIALS"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty {
            return URL(fileURLWithPath: config).appendingPathComponent("lunette/credentials")
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return URL(fileURLWithPath: home).appendingPathComponent(".config/lunette/credentials")
    }

    /// The key in `variable`: from the environment, else from the credentials file.
    /// - Throws: ``ProviderError`` (code `credentials`) naming the variable when it is set nowhere,
    ///   or naming the file when it is not private to the user.
    public func key(named variable: String) throws(ProviderError) -> Secret {
        if let value = environment[variable], !value.isEmpty { return Secret(value) }
        if let value = try fileValue(named: variable) { return Secret(value) }
        throw ProviderError(
            .credentials, "the environment variable \(variable) is not set (named by api_key_env)",
            remedy: "export \(variable)=… before running, or add a line \(variable)=… to "
                + "\(fileURL?.path ?? "~/.config/lunette/credentials") (chmod 600)")
    }

    /// The value of `variable` in the credentials file, `nil` when the file or the line is absent.
    func fileValue(named variable: String) throws(ProviderError) -> String? {
        guard let url = fileURL else { return nil }
        var info = stat()
        guard stat(url.path, &info) == 0 else { return nil }
        guard info.st_mode & 0o077 == 0 else {
            throw ProviderError(
                .credentials,
                "\(url.path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); lunette will not read it",
                remedy: "chmod 600 \(url.path)")
        }
        guard info.st_uid == getuid() else {
            throw ProviderError(
                .credentials, "\(url.path) belongs to another user; lunette will not read it",
                remedy: "chown $(id -u) \(url.path) && chmod 600 \(url.path)")
        }
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8)
        else {
            throw ProviderError(.credentials, "cannot read \(url.path)", remedy: "check the file is readable UTF-8 text")
        }
        return Credentials.parse(text)[variable]
    }

    /// `NAME=value` lines → values; comments, blanks and malformed lines are skipped.
    static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            if !name.isEmpty { values[name] = value }
        }
        return values
    }
}
