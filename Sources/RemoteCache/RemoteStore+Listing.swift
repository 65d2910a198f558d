import Foundation

/// A remote whose keys can be listed and deleted: what `lunette cache gc --remote` needs, and
/// nothing else does (push, pull and read-through never list or delete).
public protocol ListableRemoteStore: RemoteStore {
    /// Every key under `prefix` (`objects/`, `actions/`, `memo/`), with its size in bytes, in no set order.
    func list(prefix: String) async throws -> [RemoteListing]
    /// Deletes `key`; a key that is not there is no error.
    func delete(_ key: String) async throws
}

/// One key of a remote and its size.
public struct RemoteListing: Sendable, Hashable {
    public var key: String
    public var size: Int64

    public init(key: String, size: Int64) {
        self.key = key
        self.size = size
    }
}

extension FolderRemote: ListableRemoteStore {
    /// The files under `root/prefix`, skipping the temporary files uploads write before their rename.
    public func list(prefix: String) async throws -> [RemoteListing] {
        let base = root.appendingPathComponent(prefix)
        guard let enumerator = FileManager.default.enumerator(
            at: base, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey], options: [])
        else { return [] }
        let rootPath = root.standardizedFileURL.path + "/"
        var listing: [RemoteListing] = []
        for case let url as URL in enumerator {
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard values?.isRegularFile == true, !url.lastPathComponent.hasPrefix(".tmp-") else { continue }
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(rootPath) else { continue }
            listing.append(RemoteListing(key: String(path.dropFirst(rootPath.count)), size: Int64(values?.fileSize ?? 0)))
        }
        return listing
    }

    public func delete(_ key: String) async throws {
        let url = root.appendingPathComponent(key)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw RemoteError(.io, "cannot delete \(url.path): \(error.localizedDescription)", remedy: "check that the shared folder is writable")
        }
    }
}

extension S3Remote: ListableRemoteStore {
    /// ListObjectsV2 under the remote's prefix, page by page (1,000 keys a page).
    public func list(prefix: String) async throws -> [RemoteListing] {
        let fullPrefix = self.prefix.isEmpty ? prefix : "\(self.prefix)/\(prefix)"
        var listing: [RemoteListing] = []
        var token: String?
        repeat {
            var query = "list-type=2&prefix=\(SigV4Signer.encode(fullPrefix))"
            if let token { query += "&continuation-token=\(SigV4Signer.encode(token))" }
            let (status, _, body) = try await send("GET", bucketURL(query: query), what: "list \(prefix)")
            guard (200..<300).contains(status) else { throw failure(status, body: body, what: "list \(prefix)") }
            let text = String(decoding: body, as: UTF8.self)
            for block in text.components(separatedBy: "<Contents>").dropFirst() {
                let contents = Data(block.utf8)
                guard let key = Self.xmlValue("Key", in: contents).map(Self.unescapeXML) else { continue }
                let size = Self.xmlValue("Size", in: contents).flatMap { Int64($0) } ?? 0
                let relative = self.prefix.isEmpty ? key : String(key.dropFirst(self.prefix.count + 1))
                listing.append(RemoteListing(key: relative, size: size))
            }
            token = Self.xmlValue("IsTruncated", in: body) == "true" ? Self.xmlValue("NextContinuationToken", in: body) : nil
        } while token != nil
        return listing
    }

    public func delete(_ key: String) async throws {
        let (status, _, body) = try await send("DELETE", url(key), what: "delete \(key)")
        guard (200..<300).contains(status) || status == 404 else { throw failure(status, body: body, what: "delete \(key)") }
    }

    /// The bucket's own URL (no key), with `query`.
    func bucketURL(query: String) -> URL {
        var base = endpoint.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if pathStyle {
            base += "/\(SigV4Signer.encode(bucket))"
        } else if let scheme = endpoint.scheme, let host = endpoint.host {
            base = "\(scheme)://\(bucket).\(host)" + (endpoint.port.map { ":\($0)" } ?? "")
        }
        return URL(string: base + "/?" + query)!  // swift-format-ignore: NeverForceUnwrap (built from encoded parts)
    }

    static func unescapeXML(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
