import Basics
import Yams

extension Node {
    /// The resolved tag's name (`tag:yaml.org,2002:int`, …); Yams keeps `Tag.name` internal but prints it.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.description) }

    /// Whether the node is YAML null, decided without Yams' regular expressions while a plain scalar's
    /// tag is still implicit: with the default resolver it is null exactly when it reads `~`, `null`,
    /// `Null`, `NULL` or nothing (no earlier rule matches those). A quoted scalar is never null.
    var isNull: Bool {
        guard case .scalar(let scalar) = self else { return false }
        switch scalar.tag.description {
        case Tag.Name.implicit.rawValue: return Self.nullSpellings.contains(scalar.string)
        case Tag.Name.nonSpecific.rawValue: return false
        case let name: return name == Tag.Name.null.rawValue
        }
    }

    private static let nullSpellings: Set<String> = ["~", "null", "Null", "NULL", ""]

    /// How a node is described in "expected X, found Y" messages: `a mapping`, `a list`, `null`, or the
    /// scalar as written (shortened), so `found 'three'` points at the mistake.
    var kindDescription: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull { return "null" }
            let text = scalar.string.count > 40 ? scalar.string.prefix(37) + "..." : Substring(scalar.string)
            return "'\(text)'"
        }
    }

    /// The node as a ``JSONValue``: YAML integers, floats, booleans and nulls keep their type; any other
    /// scalar is a string. Mapping keys are read as strings. Callers bound the size first (see
    /// ``countingNodes(limit:)``), so aliases cannot make this explode.
    var jsonValue: JSONValue {
        switch self {
        case .scalar(let scalar):
            switch tagName {
            case .null: return .null
            case .bool: return bool.map(JSONValue.bool) ?? .string(scalar.string)
            case .int: return int.map(JSONValue.int) ?? .string(scalar.string)
            case .float: return float.map(JSONValue.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .sequence(let items): return .array(items.map(\.jsonValue))
        case .mapping(let pairs):
            var object: [String: JSONValue] = [:]
            for (key, value) in pairs { object[key.string ?? key.jsonValue.canonicalText] = value.jsonValue }
            return .object(object)
        case .alias: return .null
        }
    }

    /// The number of nodes in this tree, with aliases expanded, counting at most `limit + 1`.
    ///
    /// Yams resolves an alias to the anchored node itself, so a ten-level "billion laughs" document is
    /// small in memory but enormous to walk. Counting stops as soon as the limit is passed.
    /// - Complexity: O(min(*n*, `limit`)).
    func countingNodes(limit: Int) -> Int {
        var count = 0
        var stack: [Node] = [self]
        while let node = stack.popLast() {
            count += 1
            if count > limit { return count }
            switch node {
            case .scalar, .alias: break
            case .sequence(let items): stack.append(contentsOf: items)
            case .mapping(let pairs):
                for (key, value) in pairs {
                    stack.append(key)
                    stack.append(value)
                }
            }
        }
        return count
    }
}
