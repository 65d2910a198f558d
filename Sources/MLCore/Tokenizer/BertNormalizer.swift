import Foundation

/// BERT's text normalisation and pre-tokenisation, scalar by scalar as the reference (`tokenizers`'
/// `BertNormalizer` + `BertPreTokenizer`) does it.
///
/// 1. Clean: drop NUL, U+FFFD and "other" characters (categories Cc, Cf, Co, Cs, Cn, but not tab,
///    newline, carriage return), so U+200B and U+00AD vanish and join their neighbours; map
///    whitespace (the White_Space property) to a space.
/// 2. Space CJK ideographs: `北京` → ` 北  京 `.
/// 3. Strip accents when configured: canonical decomposition (NFD), then drop non-spacing marks (Mn).
/// 4. Lower-case each scalar (full Unicode mapping, no context).
/// 5. Split on whitespace, and isolate every punctuation scalar (ASCII punctuation or a P* category).
struct BertNormalizer: Sendable {
    var configuration: TokenizerConfiguration

    /// Normalises `text` and splits it into words, each a list of Unicode scalars.
    func words(in text: Substring) -> [[Unicode.Scalar]] {
        let normalized = normalize(text)
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in normalized {
            if Self.isWhitespace(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
            } else if Self.isPunctuation(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Steps 1–4: the normalised scalars.
    func normalize(_ text: Substring) -> [Unicode.Scalar] {
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(text.unicodeScalars.count)
        var isASCII = true
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0 || value == 0xFFFD || Self.isControl(scalar) { continue }
            if Self.isWhitespace(scalar) { cleaned.append(" "); continue }
            if value >= 0x80 { isASCII = false }
            if configuration.tokenizeChineseCharacters && Self.isCJKIdeograph(value) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        if configuration.isStrippingAccents && !isASCII {
            var string = String.UnicodeScalarView()
            string.append(contentsOf: cleaned)
            let decomposed = String(string).decomposedStringWithCanonicalMapping
            cleaned = decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if configuration.lowercase {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(cleaned.count)
            for scalar in cleaned {
                if scalar.isASCII {
                    let value = scalar.value
                    lowered.append(value >= 0x41 && value <= 0x5A ? Unicode.Scalar(UInt8(value + 32)) : scalar)
                } else {
                    lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                }
            }
            cleaned = lowered
        }
        return cleaned
    }

    /// Tab, newline and carriage return, and every scalar with the White_Space property.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r", " ": true
        default: scalar.value >= 0x80 && scalar.properties.isWhitespace
        }
    }

    /// "Other" characters except tab, newline and carriage return.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r": return false
        default:
            let value = scalar.value
            if value >= 0x20 && value < 0x7F { return false }
            switch scalar.properties.generalCategory {
            case .control, .format, .privateUse, .surrogate, .unassigned: return true
            default: return false
            }
        }
    }

    /// ASCII punctuation (`!`–`/`, `:`–`@`, `[`–`` ` ``, `{`–`~`) or a Unicode punctuation category.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (value >= 33 && value <= 47) || (value >= 58 && value <= 64)
                || (value >= 91 && value <= 96) || (value >= 123 && value <= 126)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideographs blocks and their extensions and compatibility blocks (not kana or hangul).
    static func isCJKIdeograph(_ value: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(value) || (0x3400...0x4DBF).contains(value)
            || (0x20000...0x2A6DF).contains(value) || (0x2A700...0x2B73F).contains(value)
            || (0x2B740...0x2B81F).contains(value) || (0x2B820...0x2CEAF).contains(value)
            || (0xF900...0xFAFF).contains(value) || (0x2F800...0x2FA1F).contains(value)
    }
}
