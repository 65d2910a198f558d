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
    /// ``countingAliasExpansions(limit:)``), so aliases cannot make this explode.
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

    /// The number of nodes that aliases add to this tree, counting at most `limit + 1`.
    ///
    /// Yams resolves an alias to the anchored node itself (which keeps its anchor), so a ten-level
    /// "billion laughs" document is small in memory but enormous to walk. Walking in document order, the
    /// first node with an anchor is the one written; a later node with that same anchor is an alias's
    /// copy, and every node inside it is an expansion. Nodes hold their anchors weakly: call this while
    /// the `Parser` that made them is alive. Nodes written out in the text are not counted, so a large
    /// plain manifest (thousands of runs, a long list) is never taken for a bomb. Counting stops as soon as
    /// the limit is passed.
    /// - Complexity: O(*n* + min(*e*, `limit`)) for *n* written nodes and *e* expansions.
    func countingAliasExpansions(limit: Int) -> Int {
        var expansions = 0
        var anchors: Set<ObjectIdentifier> = []  // one per `&name` written; a redefined name is another
        // (node, inside an alias's copy); children are pushed reversed so they pop in document order.
        var stack: [(Node, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            var isCopy = expanded
            if !isCopy, let anchor = node.anchor {
                isCopy = !anchors.insert(ObjectIdentifier(anchor)).inserted
            }
            if isCopy {
                expansions += 1
                if expansions > limit { return expansions }
            }
            switch node {
            case .scalar, .alias: break
            case .sequence(let items): stack.append(contentsOf: items.reversed().map { ($0, isCopy) })
            case .mapping(let pairs):
                for (key, value) in pairs.reversed() {
                    stack.append((value, isCopy))
                    stack.append((key, isCopy))
                }
            }
        }
        return expansions
    }
}
