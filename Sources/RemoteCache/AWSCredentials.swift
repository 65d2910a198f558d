import Basics
import Basics
import Foundation


/// An AWS access key pair (and session token), read only from the standard places: the
/// environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), else the
/// profile `AWS_PROFILE` (or `default`) of the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`,
/// default `~/.aws/credentials`). Never from a committed file. The secret and the token are
/// ``Basics/Secret``s: they print as `<redacted>`.
public struct AWSCredentials: Sendable, Hashable {
    public var accessKeyID: String
    public var secretAccessKey: Secret
    public var sessionToken: Secret?

    public init(accessKeyID: String, secretAccessKey: Secret, sessionToken: Secret? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// The credentials `environment` points at.
    /// - Throws: ``RemoteError`` `.credentials` saying where it looked and how to provide them.
    public static func resolve(environment: [String: String]) throws -> AWSCredentials {
        if let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty {
            guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
                throw RemoteError(
                    .credentials, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
                    remedy: "export AWS_SECRET_ACCESS_KEY too (or unset AWS_ACCESS_KEY_ID to use a profile)")
            }
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : Secret($0) }
            return AWSCredentials(accessKeyID: key, secretAccessKey: Secret(secret), sessionToken: token)
        }
        let profile = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let home = environment["HOME"] ?? NSHomeDirectory()
        let path = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RemoteError(
                .credentials, "no AWS credentials: AWS_ACCESS_KEY_ID is not set and \(path) cannot be read",
                remedy: "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or set AWS_PROFILE to a profile of ~/.aws/credentials")
        }
        let values = profileValues(text)[profile] ?? [:]
        guard let key = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] else {
            throw RemoteError(
                .credentials, "profile '\(profile)' of \(path) has no aws_access_key_id and aws_secret_access_key",
                remedy: "add them to that profile, or choose another with AWS_PROFILE")
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: Secret(secret), sessionToken: values["aws_session_token"].map(Secret.init))
    }

    /// `[profile: [key: value]]` of an INI-style credentials file.
    static func profileValues(_ text: String) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                    .replacingOccurrences(of: "profile ", with: "")
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            out[current, default: [:]][key] = value
        }
        return out
    }
}
