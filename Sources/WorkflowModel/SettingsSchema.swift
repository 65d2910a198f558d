import Basics
import Foundation

/// The settings a task type takes from its manifest section (`train:`, `generate:`, `split:`, `gate:`),
/// declared once: each parameter's name, kind, limits, default, meaning, and whether it can change results.
///
/// A task type declares its schema (``TaskInterface/TaskType/settings``); everyone else reads that one
/// declaration: the manifest reader checks a section through it at load time (`lunette check`, with the
/// line, column and key path of each problem), the stage checks its params through the same
/// ``check(_:labels:)`` before it reads them (so the two cannot disagree), the planner leaves parameters
/// that cannot change results out of the action key (``keyed(_:)``), and a test compares the manifest
/// reference's table for the section with ``referenceTable``.
///
/// ```swift
/// let schema = SettingsSchema(section: "dedupe", parameters: [
///     .init("threshold", .number(.closed(0, 1)), default: 0.9, doc: "similarity above which rows are one"),
///     .init("threads", .integer(1...256), doc: "worker threads", affectsResults: false),
/// ])
/// let issues = schema.check(["threshold": 1.5])  // "threshold must be between 0 and 1, found 1.5"
/// ```
public struct SettingsSchema: Sendable {
    /// The manifest key of the section, e.g. `train`; also the first part of the stage's error key paths.
    public var section: String
    /// Where the section sits in the stage's params: under this key (`train` → `params.train`), or nil
    /// when its keys sit at the top level of the params beside others the planner adds (`generate`).
    public var paramsKey: String?
    /// Every key the section accepts, in the order the manifest reference lists them.
    public var parameters: [Parameter]
    /// Checks across keys, run once every key has its own kind (e.g. `seeds` > 1 needs `mode` full or auto).
    public var rules: [Rule]

    public init(section: String, paramsKey: String? = nil, parameters: [Parameter], rules: [Rule] = []) {
        self.section = section
        self.paramsKey = paramsKey
        self.parameters = parameters
        self.rules = rules
    }

    /// The declared keys, in declaration order.
    public var names: [String] { parameters.map(\.name) }

    /// The parameter named `name`.
    public subscript(name: String) -> Parameter? { parameters.first { $0.name == name } }

    // MARK: Declarations

    /// One key of a section.
    public struct Parameter: Sendable {
        public var name: String
        public var kind: Kind
        /// The value the stage uses when the key is absent; nil when it is computed or there is none
        /// (``defaultText`` then says what happens).
        public var defaultValue: JSONValue?
        /// The default as the reference shows it (the value, or e.g. `the run's seed`).
        public var defaultText: String
        /// One line saying what the key does, for the manifest reference.
        public var doc: String
        /// Whether the value can change the stage's outputs. `false` (thread counts, log verbosity) keeps
        /// the key out of the action key: changing it never makes the stage stale.
        public var affectsResults: Bool

        public init(
            _ name: String, _ kind: Kind, default defaultValue: JSONValue? = nil, defaultText: String? = nil,
            doc: String, affectsResults: Bool = true
        ) {
            self.name = name
            self.kind = kind
            self.defaultValue = defaultValue
            self.defaultText = defaultText ?? defaultValue.map { value in
                if case .double(let number) = value { return "`\(NumberBounds.format(number))`" }
                return "`\(value.displayText)`"
            } ?? "none"
            self.doc = doc
            self.affectsResults = affectsResults
        }
    }

    /// What a value must be.
    public indirect enum Kind: Sendable {
        /// An integer (a JSON integer or YAML int, never `3.0` or `"3"`) within the range.
        case integer(ClosedRange<Int>)
        /// A number (integer or not) within the bounds.
        case number(NumberBounds)
        /// `true` or `false`.
        case boolean
        /// Non-empty text.
        case text
        /// One of these words (a did-you-mean for a near miss).
        case choice([String])
        /// A name the manifest declares elsewhere (`provider` → `providers:`), checked by the manifest
        /// reader; the planner hands the stage what it names instead, so the stage does not check it.
        case reference(String)
        /// A list of numbers within the bounds, one per metric label (in label order) when the labels are known.
        case perLabel(NumberBounds)
        /// A mapping label → number within the bounds; `everyLabel` requires a number for each label.
        case labelWeights(NumberBounds, everyLabel: Bool)
        /// A mapping with exactly one of these keys, whose value is a number within its bounds
        /// (`{target_precision: 0.9}`).
        case oneTarget([(key: String, bounds: NumberBounds)])
        /// Any one of these kinds (`auto`, or a list, or a mapping).
        case anyOf([Kind])

        /// How the kind reads in "must be …" messages and the reference.
        public var summary: String {
            switch self {
            case .integer(let range) where range.lowerBound == range.upperBound: return "\(range.lowerBound)"
            case .integer(let range) where range == Int.min...Int.max: return "an integer"
            case .integer(let range) where range.upperBound == Int.max: return "an integer, \(Self.describe(range))"
            case .integer(let range): return "an integer \(Self.describe(range))"
            case .number(let bounds): return "a number \(bounds.summary)"
            case .boolean: return "true or false"
            case .text: return "a non-empty string"
            case .choice(let words): return words.joined(separator: ", ")
            case .reference(let what): return "the name of a declared \(what)"
            case .perLabel(let bounds): return "a list of numbers \(bounds.summary), one per label in label order"
            case .labelWeights(let bounds, let every):
                return "label → number \(bounds.summary)\(every ? " for every label" : "")"
            case .oneTarget(let targets):
                return targets.map { "{\($0.key): X}" }.joined(separator: " or ") + " with X "
                    + (targets.first?.bounds.summary ?? "")
            case .anyOf(let kinds): return kinds.map(\.summary).joined(separator: ", or ")
            }
        }

        static func describe(_ range: ClosedRange<Int>) -> String {
            if range.upperBound == Int.max { return "at least \(range.lowerBound)" }
            return "between \(range.lowerBound) and \(range.upperBound)"
        }

        /// Whether a YAML scalar is read as its written text for this kind (strings are expected, numbers
        /// and booleans are not): `instructions: 42` is the text `42`.
        public var readsScalarsAsText: Bool {
            switch self {
            case .text, .choice, .reference: return true
            case .anyOf(let kinds):
                return kinds.contains { $0.readsScalarsAsText } && !kinds.contains {
                    switch $0 {
                    case .integer, .number, .boolean: return true
                    default: return false
                    }
                }
            default: return false
            }
        }
    }

    /// Bounds of a number: each end inclusive or not, or open.
    public struct NumberBounds: Sendable, Equatable {
        public var lower: Double?
        public var lowerInclusive: Bool
        public var upper: Double?
        public var upperInclusive: Bool

        public init(lower: Double?, lowerInclusive: Bool = true, upper: Double?, upperInclusive: Bool = true) {
            self.lower = lower
            self.lowerInclusive = lowerInclusive
            self.upper = upper
            self.upperInclusive = upperInclusive
        }

        /// `[lower, upper]`.
        public static func closed(_ lower: Double, _ upper: Double) -> NumberBounds {
            NumberBounds(lower: lower, upper: upper)
        }

        /// `> lower`, no upper bound.
        public static func above(_ lower: Double) -> NumberBounds {
            NumberBounds(lower: lower, lowerInclusive: false, upper: nil)
        }

        /// `≥ lower`, no upper bound.
        public static func atLeast(_ lower: Double) -> NumberBounds { NumberBounds(lower: lower, upper: nil) }

        public func contains(_ value: Double) -> Bool {
            guard value.isFinite else { return false }
            if let lower, lowerInclusive ? value < lower : value <= lower { return false }
            if let upper, upperInclusive ? value > upper : value >= upper { return false }
            return true
        }

        /// `between 0 and 1`, `greater than 0`, `strictly between 0 and 1`, `greater than 0 and at most 1`.
        public var summary: String {
            let low = lower.map(Self.format), high = upper.map(Self.format)
            switch (low, high) {
            case (let low?, let high?) where lowerInclusive && upperInclusive: return "between \(low) and \(high)"
            case (let low?, let high?) where !lowerInclusive && !upperInclusive: return "strictly between \(low) and \(high)"
            case (let low?, let high?):
                return (lowerInclusive ? "at least \(low)" : "greater than \(low)") + " and "
                    + (upperInclusive ? "at most \(high)" : "less than \(high)")
            case (let low?, nil): return lowerInclusive ? "at least \(low)" : "greater than \(low)"
            case (nil, let high?): return upperInclusive ? "at most \(high)" : "less than \(high)"
            case (nil, nil): return ""
            }
        }

        /// `1`, `0.5`, `1e-9`, `5e-5`, `1e6`: whole numbers below a million plainly, very small and very
        /// large ones as a mantissa and a power of ten.
        public static func format(_ value: Double) -> String {
            if value.rounded() == value, abs(value) < 1e6 { return String(Int(value)) }
            guard value != 0, value.isFinite, abs(value) < 1e-3 || abs(value) >= 1e6 else { return "\(value)" }
            let exponent = Int(log10(abs(value)).rounded(.down))
            let mantissa = (value / pow(10, Double(exponent)) * 1e9).rounded() / 1e9
            return (mantissa.rounded() == mantissa ? String(Int(mantissa)) : "\(mantissa)") + "e\(exponent)"
        }
    }

    /// A check across keys of a section, given the section's object (each key already of its kind).
    public struct Rule: Sendable {
        public var check: @Sendable (_ settings: [String: JSONValue]) -> Issue?
        public init(_ check: @escaping @Sendable (_ settings: [String: JSONValue]) -> Issue?) { self.check = check }
    }

    // MARK: Checking

    /// One step of a path inside a section: a key or a list index.
    public enum PathStep: Hashable, Sendable, CustomStringConvertible {
        case key(String)
        case index(Int)
        public var description: String {
            switch self {
            case .key(let key): return "." + key
            case .index(let index): return "[\(index)]"
            }
        }
    }

    /// A problem with a section's value: where (relative to the section), what, and how to fix it.
    public struct Issue: Error, Equatable, Sendable {
        /// The steps from the section to the value (`[.key("epochs")]`); empty for the section itself.
        public var path: [PathStep]
        public var message: String
        public var hint: String?
        /// Whether the issue is the key itself (an unknown key), not its value.
        public var isAboutKey: Bool
        /// A cross-key rule's issue: about the section as a whole, shown at the key ``path`` names.
        public var isRule: Bool

        public init(path: [PathStep], message: String, hint: String? = nil, isAboutKey: Bool = false, isRule: Bool = false) {
            self.path = path
            self.message = message
            self.hint = hint
            self.isAboutKey = isAboutKey
            self.isRule = isRule
        }

        /// `train.epochs`, `train.class_weights[2]`.
        public func keyPath(in section: String) -> String { section + path.map(\.description).joined() }
    }

    /// Every problem with `settings` (the section's object), in key order: unknown keys (with a
    /// did-you-mean), values of the wrong kind or out of range, then the cross-key rules when every
    /// key was fine. Empty when the stage will accept the settings.
    /// - Parameters:
    ///   - labels: The metric's labels, to check per-label lists and label mappings; nil when unknown
    ///     (in `defaults`).
    ///   - rules: Whether to run the cross-key ``rules`` (off for half a section, e.g. `defaults.train`).
    public func check(_ settings: JSONValue, labels: [String]? = nil, rules runRules: Bool = true) -> [Issue] {
        if settings == .null { return [] }
        guard let object = settings.objectValue else {
            return [Issue(path: [], message: "expected a mapping, found \(Self.found(settings))")]
        }
        var issues: [Issue] = []
        for key in object.keys.sorted() where self[key] == nil {
            issues.append(unknownKey(key))
        }
        for key in object.keys.sorted() {
            guard let parameter = self[key], let value = object[key] else { continue }
            issues += check(value, of: parameter, labels: labels)
        }
        if issues.isEmpty, runRules {
            issues += rules.compactMap { $0.check(object) }
        }
        return issues
    }

    /// The issue for a key the section does not declare: `unknown key 'epoch' in 'train'`, with a
    /// did-you-mean or the list of keys.
    public func unknownKey(_ key: String) -> Issue {
        Issue(path: [.key(key)], message: "unknown key '\(key)' in '\(section)'",
              hint: Suggestion.hint(for: key, in: names) ?? "valid keys are: \(names.joined(separator: ", "))",
              isAboutKey: true)
    }

    /// The problems with one parameter's value, paths starting at the parameter's key.
    public func check(_ value: JSONValue, of parameter: Parameter, labels: [String]? = nil) -> [Issue] {
        Self.check(value, parameter.kind, name: parameter.name, path: [.key(parameter.name)], labels: labels)
    }

    private static func check(_ value: JSONValue, _ kind: Kind, name: String, path: [PathStep], labels: [String]?) -> [Issue] {
        func issue(_ message: String, hint: String? = nil, at steps: [PathStep]? = nil, aboutKey: Bool = false) -> [Issue] {
            [Issue(path: steps ?? path, message: message, hint: hint, isAboutKey: aboutKey)]
        }
        switch kind {
        case .integer(let range):
            guard case .int(let number) = value else { return issue("expected an integer, found \(found(value))") }
            guard range.contains(number) else {
                return issue("\(name) must be \(Kind.describe(range)), found \(number)")
            }
            return []
        case .number(let bounds):
            guard let number = number(value) else { return issue("expected a number, found \(found(value))") }
            return bounds.contains(number) ? [] : issue("\(name) must be \(bounds.summary), found \(numberText(value))")
        case .boolean:
            return value.boolValue == nil ? issue("expected true or false, found \(found(value))") : []
        case .text, .reference:
            guard let text = value.stringValue else { return issue("expected a string, found \(found(value))") }
            return text.allSatisfy(\.isWhitespace) ? issue("expected a non-empty string") : []
        case .choice(let words):
            guard let text = value.stringValue else { return issue("expected a string, found \(found(value))") }
            if words.contains(text) { return [] }
            return issue("unknown \(name.replacingOccurrences(of: "_", with: " ")) '\(text)'",
                         hint: Suggestion.hint(for: text, in: words) ?? "expected one of: \(words.joined(separator: ", "))")
        case .perLabel(let bounds):
            guard let items = value.arrayValue else { return issue("expected a list, found \(found(value))") }
            for (index, item) in items.enumerated() {
                let problems = check(item, .number(bounds), name: name, path: path + [.index(index)], labels: nil)
                if !problems.isEmpty { return problems }
            }
            if let labels, items.count != labels.count {
                return issue("\(name) lists \(items.count) \(items.count == 1 ? "weight" : "weights") for \(labels.count) labels",
                             hint: "one weight per label, in order: \(labels.joined(separator: ", "))")
            }
            return []
        case .labelWeights(let bounds, let everyLabel):
            guard let object = value.objectValue else { return issue("expected a mapping, found \(found(value))") }
            var problems: [Issue] = []
            for key in object.keys.sorted() {
                if let labels, !labels.contains(key) {
                    problems += issue("'\(key)' is not one of the metric's labels", at: path + [.key(key)], aboutKey: true)
                        .map { var issue = $0; issue.hint = Suggestion.hint(for: key, in: labels) ?? "labels: \(labels.joined(separator: ", "))"; return issue }
                    continue
                }
                problems += check(object[key] ?? .null, .number(bounds), name: key, path: path + [.key(key)], labels: nil)
            }
            if problems.isEmpty, everyLabel, let labels, let missing = labels.first(where: { object[$0] == nil }) {
                return issue("\(name) gives no weight for label '\(missing)'", hint: "weigh every label: \(labels.joined(separator: ", "))")
            }
            return problems
        case .oneTarget(let targets):
            let keys = targets.map(\.key)
            guard let object = value.objectValue else { return issue("expected a mapping, found \(found(value))") }
            for key in object.keys.sorted() where !keys.contains(key) {
                return issue("unknown key '\(key)' in '\(name)'", hint: Suggestion.hint(for: key, in: keys)
                    ?? "valid keys are: \(keys.joined(separator: ", "))", at: path + [.key(key)], aboutKey: true)
            }
            guard object.count == 1, let entry = object.first, let bounds = targets.first(where: { $0.key == entry.key })?.bounds
            else {
                return issue("\(name) takes one target: \(keys.joined(separator: " or "))",
                             hint: "e.g. \(name): {\(keys.first ?? "target"): 0.9}")
            }
            return check(entry.value, .number(bounds), name: entry.key, path: path + [.key(entry.key)], labels: nil)
        case .anyOf(let kinds):
            // The kinds whose shape the value has (a word, a number, a list, a mapping) say what is wrong.
            let shaped = kinds.filter { hasShape(value, of: $0) }
            var first: [Issue]?
            for kind in shaped {
                let problems = check(value, kind, name: name, path: path, labels: labels)
                if problems.isEmpty { return [] }
                first = first ?? problems
            }
            if shaped.count == 1, case .choice = shaped[0], kinds.count > 1, let problems = first {
                // A near-miss word: keep the did-you-mean, say every accepted form.
                return issue("\(name) must be \(kind.summary), found \(found(value))", hint: problems.first?.hint)
            }
            if shaped.count == 1, let problems = first { return problems }
            return issue("\(name) must be \(kind.summary), found \(number(value) != nil ? numberText(value) : found(value))")
        }
    }

    /// Whether `value` has the JSON shape `kind` takes (so that kind's own message says what is wrong).
    private static func hasShape(_ value: JSONValue, of kind: Kind) -> Bool {
        switch (kind, value) {
        case (.integer, .int), (.number, .int), (.number, .double), (.boolean, .bool): return true
        case (.text, .string), (.choice, .string), (.reference, .string): return true
        case (.perLabel, .array), (.labelWeights, .object), (.oneTarget, .object): return true
        case (.anyOf(let kinds), _): return kinds.contains { hasShape(value, of: $0) }
        default: return false
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): return Double(number)
        case .double(let number) where number.isFinite: return number
        default: return nil
        }
    }

    /// How a number is shown in "found …": as JSON writes it.
    private static func numberText(_ value: JSONValue) -> String { value.canonicalText }

    /// How a value is described in "expected X, found Y": `a mapping`, `a list`, `null`, or the scalar
    /// as text in quotes (shortened), the way the manifest reader describes a YAML node.
    public static func found(_ value: JSONValue) -> String {
        switch value {
        case .object: return "a mapping"
        case .array: return "a list"
        case .null: return "null"
        case .string(let text):
            return "'" + (text.count > 40 ? text.prefix(37) + "..." : Substring(text)) + "'"
        default: return "'\(value.canonicalText)'"
        }
    }

    // MARK: Action keys

    /// `params` with the section's keys that cannot change results (``Parameter/affectsResults`` false)
    /// left out: what enters the stage's action key. The stage still receives every param.
    public func keyed(_ params: [String: JSONValue]) -> [String: JSONValue] {
        let unkeyed = parameters.filter { !$0.affectsResults }.map(\.name)
        guard !unkeyed.isEmpty else { return params }
        var params = params
        if let paramsKey {
            guard case .object(var settings)? = params[paramsKey] else { return params }
            for name in unkeyed { settings[name] = nil }
            params[paramsKey] = .object(settings)
        } else {
            for name in unkeyed { params[name] = nil }
        }
        return params
    }

    /// The section's settings inside a stage's params: `params[paramsKey]`, or the declared keys of the
    /// top-level params (others, such as `metric`, belong to the planner).
    public func settings(in params: [String: JSONValue]) -> JSONValue {
        if let paramsKey { return params[paramsKey] ?? .null }
        return .object(params.filter { key, _ in
            guard let parameter = self[key] else { return false }
            if case .reference = parameter.kind { return false }  // the planner put what it names there
            return true
        })
    }

    // MARK: Reference

    /// The manifest reference's table for this section (`| key | value | default | meaning |` rows, in
    /// declaration order), which a test compares with `Sources/ManifestLoading/README.md`.
    public var referenceTable: String {
        var lines = ["| key | value | default | meaning |", "|---|---|---|---|"]
        for parameter in parameters {
            let meaning = parameter.doc + (parameter.affectsResults ? "" : " (not part of the action key: changing it never re-runs the stage)")
            lines.append("| `\(parameter.name)` | \(parameter.kind.summary) | \(parameter.defaultText) | \(meaning) |")
        }
        return lines.joined(separator: "\n")
    }
}
