import Foundation

/// The BERT tokenizer's settings, as in `tokenizer_config.json`.
///
/// `stripAccents` follows the reference: when it is `nil` (`null` in the file), accents are stripped
/// exactly when ``lowercase`` is on.
public struct TokenizerConfiguration: Sendable, Equatable {
    /// Lower-case the text (`do_lower_case`).
    public var lowercase: Bool = true
    /// Strip accents (`strip_accents`); `nil` means "as ``lowercase``".
    public var stripAccents: Bool? = nil
    /// Put spaces around CJK ideographs (`tokenize_chinese_chars`).
    public var tokenizeChineseCharacters: Bool = true
    /// The unknown, separator, classifier, padding and mask tokens.
    public var unknownToken = "[UNK]", separatorToken = "[SEP]", classifierToken = "[CLS]"
    public var paddingToken = "[PAD]", maskToken = "[MASK]"
    /// Words longer than this many characters become one unknown token.
    public var maximumCharactersPerWord = 100

    /// The settings of `bert-base-uncased` and all-MiniLM-L6-v2.
    public init() {}

    /// Whether accents are stripped after resolving `nil`.
    public var isStrippingAccents: Bool { stripAccents ?? lowercase }

    /// Reads `tokenizer_config.json`; absent keys keep their defaults.
    ///
    /// - Throws: ``MLCoreError`` `.invalidConfiguration` naming the file and key.
    public init(contentsOf url: URL) throws {
        self.init()
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MLCoreError(.fileNotFound, "\(url.path): tokenizer configuration not found")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let json = object as? [String: Any] else {
            throw MLCoreError(.invalidConfiguration, "\(url.path): not a JSON object")
        }
        func bool(_ key: String) throws -> Bool? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            guard let flag = value as? Bool else {
                throw MLCoreError(.invalidConfiguration, "\(url.path): '\(key)' must be true, false or null")
            }
            return flag
        }
        func string(_ key: String) throws -> String? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            if let text = value as? String { return text }
            // Newer files write special tokens as {"content": "[UNK]", ...}.
            if let map = value as? [String: Any], let text = map["content"] as? String { return text }
            throw MLCoreError(.invalidConfiguration, "\(url.path): '\(key)' must be a string")
        }
        lowercase = try bool("do_lower_case") ?? lowercase
        stripAccents = try bool("strip_accents")
        tokenizeChineseCharacters = try bool("tokenize_chinese_chars") ?? tokenizeChineseCharacters
        unknownToken = try string("unk_token") ?? unknownToken
        separatorToken = try string("sep_token") ?? separatorToken
        classifierToken = try string("cls_token") ?? classifierToken
        paddingToken = try string("pad_token") ?? paddingToken
        maskToken = try string("mask_token") ?? maskToken
    }
}
