import Basics
import Foundation
import WorkflowModel
import Yams

extension ManifestReader {
    /// Reads `providers:`, name → settings. Records the declared names first, so `provider:` references
    /// anywhere in the manifest can be checked.
    func readProviders(_ entry: MappingNode.Entry) -> [String: ProviderSpec] {
        guard let map = mapping(entry.value, entry.keyPath, allowed: nil, owner: entry.keyNode) else { return [:] }
        providerNames = Set(map.keys)
        var providers: [String: ProviderSpec] = [:]
        for item in map.entries {
            guard name(item.keyNode, item.keyPath, pattern: ManifestSchema.providerNamePattern,
                       what: "provider name") != nil
            else { continue }
            if let spec = readProvider(item) { providers[item.key] = spec }
        }
        return providers
    }

    private func readProvider(_ entry: MappingNode.Entry) -> ProviderSpec? {
        // `api_key` (and any key naming a credential: `apikey`, `apiKey`, `token`, `password`, …), and any
        // key whose value looks like an API key (`api_kye: sk-…`, `model: gsk_…`), is refused before the
        // generic unknown-key check, with advice and without its value. `api_key_env` and `base_url` check
        // their values themselves, with messages of their own.
        var credentialKeys: [String] = []
        if case .mapping(let pairs) = entry.value {
            for (key, value) in pairs {
                guard let name = key.string else { continue }
                let namesCredential = !ManifestSchema.providerKeys.contains(name) && ManifestSchema.isCredentialName(name)
                let holdsKey = name != "api_key_env" && name != "base_url"
                    && value.string.map { ManifestSchema.holdsKey($0) } == true
                guard namesCredential || holdsKey else { continue }
                credentialKeys.append(name)
                markSecret(key: key)
                report(
                    .error, "a provider must not hold a literal API key", at: key.mark,
                    keyPath: entry.keyPath.appendingKey(name),
                    hint: "remove it, put the key in an environment variable and name that variable with "
                        + "'api_key_env: MY_KEY_VARIABLE'")
            }
        }
        let allowed = ManifestSchema.providerKeys + credentialKeys
        guard let map = mapping(entry.value, entry.keyPath, allowed: allowed, owner: entry.keyNode) else {
            return nil
        }
        var settings: [String: JSONValue] = [:]
        var kind: String?
        if let item = map["kind"] {
            if !credentialKeys.contains("kind") { kind = choice(ManifestSchema.providerKinds, item.value, item.keyPath) }
        } else {
            reportMissing("kind", in: map, hint: "one of: \(ManifestSchema.providerKinds.joined(separator: ", "))")
        }
        for item in map.entries {
            let value = item.value
            let checked: JSONValue?
            switch item.key {
            case "kind": continue
            case let key where credentialKeys.contains(key): continue
            case "base_url": checked = readURL(value, item.keyPath).map(JSONValue.string)
            case "model": checked = string(value, item.keyPath).map(JSONValue.string)
            case "api_key_env": checked = readKeyVariable(value, item.keyPath).map(JSONValue.string)
            case "temperature":
                checked = number(value, item.keyPath, rule: "between 0 and 2") { (0...2).contains($0) }
                    .map(JSONValue.double)
            case "max_tokens", "max_concurrency":
                checked = int(value, item.keyPath, in: 1...Int.max).map(JSONValue.int)
            case "requests_per_minute", "timeout":
                checked = number(value, item.keyPath, rule: "greater than 0") { $0 > 0 }.map(JSONValue.double)
            case "headers": checked = readHeaders(value, item.keyPath)
            default: checked = value.jsonValue
            }
            if let checked { settings[item.key] = checked }
        }
        if kind == "openai-compatible" || kind == "anthropic", map["model"] == nil {
            reportMissing("model", in: map, hint: "the model name the endpoint serves")
        }
        if kind == "openai-compatible", map["base_url"] == nil {
            reportMissing("base_url", in: map, hint: "e.g. base_url: \"http://127.0.0.1:8080/v1\"")
        }
        guard let kind else { return nil }
        return ProviderSpec(name: entry.key, kind: kind, settings: settings, location: source.location(of: entry.keyNode))
    }

    /// `api_key_env:` names a variable. A value that is not a variable name, or that looks like a key
    /// (`gsk_…` passes the name pattern; see ``ManifestSchema/holdsKey(_:)``), may be the key itself, so
    /// the message never repeats it and the source line is redacted.
    private func readKeyVariable(_ node: Node, _ keyPath: String) -> String? {
        if case .scalar(let scalar) = node, !node.isNull,
            scalar.string.range(of: "^" + ManifestSchema.environmentVariablePattern + "$",
                                options: .regularExpression) != nil,
            !ManifestSchema.holdsKey(scalar.string)
        {
            return scalar.string
        }
        markSecret(value: node)
        report(.error, "api_key_env must be the name of an environment variable, not the key itself",
               at: node.mark, keyPath: keyPath, hint: "e.g. api_key_env: OPENAI_API_KEY, then export OPENAI_API_KEY")
        return nil
    }

    /// `base_url:` an `http://` or `https://` URL without credentials: no `user:password@`, no query
    /// parameter naming one (`?key=`, `?api_key=`, `?sig=`, …; `?api-version=2024-06-01` is fine) and
    /// nothing that looks like an API key (see ``ManifestSchema/holdsKey(_:)``). A refused URL is neither
    /// echoed nor shown.
    private func readURL(_ node: Node, _ keyPath: String) -> String? {
        guard let text = string(node, keyPath) else { return nil }
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else {
            markSecret(value: node)
            error("base_url must start with http:// or https://", at: node, keyPath,
                  hint: "e.g. base_url: \"https://api.openai.com/v1\"")
            return nil
        }
        let remedy = "remove it, put the key in an environment variable and name that variable with the "
            + "provider's 'api_key_env: MY_KEY_VARIABLE'"
        let afterScheme = text.dropFirst(text.hasPrefix("https://") ? 8 : 7)
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains("@") {
            markSecret(value: node)
            error("base_url must not hold credentials ('user:password@')", at: node, keyPath, hint: remedy)
            return nil
        }
        if let question = text.firstIndex(of: "?") {
            let query = text[text.index(after: question)...].prefix { $0 != "#" }
            for parameter in query.split(whereSeparator: { $0 == "&" || $0 == ";" }) {
                let name = String(parameter.prefix { $0 != "=" })
                let decoded = name.removingPercentEncoding ?? name
                if ManifestSchema.isCredentialName(decoded) {
                    markSecret(value: node)
                    error("base_url must not hold credentials (its query parameter '\(decoded)')", at: node, keyPath,
                          hint: remedy)
                    return nil
                }
            }
        }
        // A long bare token counts in the query only: paths hold account ids (Cloudflare's 32 hex digits).
        let query = text.firstIndex(of: "?") ?? text.endIndex
        if ManifestSchema.holdsKey(String(text[..<query]), prefixedOnly: true) || ManifestSchema.holdsKey(String(text[query...])) {
            markSecret(value: node)
            error("base_url must not hold credentials (it holds what looks like an API key)", at: node, keyPath,
                  hint: remedy)
            return nil
        }
        return text
    }

    /// `headers:` name → value. A header whose name looks like a credential (`Authorization`, `X-Api-Key`,
    /// `X-Auth-Token`, `Cookie`, `X-Session-Id`, …; see ``ManifestSchema/isCredentialName(_:)``), or whose
    /// value is a `Bearer`/`Basic` credential or looks like an API key (`X-Foo: sk-…`; see
    /// ``ManifestSchema/holdsKey(_:)``), is refused like `api_key`, without echoing the value.
    private func readHeaders(_ node: Node, _ keyPath: String) -> JSONValue? {
        guard let map = mapping(node, keyPath, allowed: nil) else { return nil }
        var headers: [String: JSONValue] = [:]
        for item in map.entries {
            let raw = item.value.string ?? ""
            let value = raw.lowercased()
            if ManifestSchema.isCredentialName(item.key) || value.hasPrefix("bearer ") || value.hasPrefix("basic ")
                || ManifestSchema.holdsKey(raw)
            {
                markSecret(key: item.keyNode)
                report(
                    .error, "header '\(item.key)' would hold a literal credential", at: item.keyNode.mark,
                    keyPath: item.keyPath,
                    hint: "remove it, put the key in an environment variable and name that variable with the "
                        + "provider's 'api_key_env: MY_KEY_VARIABLE'")
                continue
            }
            if let value = string(item.value, item.keyPath, allowEmpty: true) { headers[item.key] = .string(value) }
        }
        return .object(headers)
    }
}
