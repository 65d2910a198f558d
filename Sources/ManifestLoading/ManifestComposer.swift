import Basics
import Yams

/// Turns manifest text into one Yams `Node`, or into located diagnostics when it is not valid YAML.
///
/// Three things stop a manifest before its keys are read: a syntax error (Yams scanner, parser or
/// composer error, located at its mark), a key written twice in one mapping (Yams refuses the whole
/// document; we point at the second occurrence and name the first), and a document whose aliases expand to
/// more than ``nodeLimit`` nodes (a "billion laughs" alias bomb). Nodes written out are not counted: a
/// plain manifest of any size is no bomb.
enum ManifestComposer {
    /// The most YAML nodes a manifest's aliases may expand to. Real manifests add a few hundred.
    static let nodeLimit = 100_000

    /// The root node, or nil with the diagnostics that explain why there is none.
    static func compose(_ source: ManifestSource) -> (Node?, [Diagnostic]) {
        let root: Node?
        // Nodes hold their anchors weakly and the parser holds them, so it lives while aliases are counted.
        let parser: Parser
        do {
            parser = try Parser(yaml: source.text)
            root = try parser.singleRoot()
        } catch let error as YamlError {
            return (nil, [diagnostic(for: error, in: source)])
        } catch {
            return (nil, [Diagnostic.error("cannot read the manifest: \(error)", at: location(1, 1, source))])
        }
        guard let root, !root.isNull else {
            return (nil, [Diagnostic.error(
                "the manifest is empty", at: location(1, 1, source),
                hint: "start with 'project: <name>' and a 'runs:' mapping")])
        }
        let bomb = withExtendedLifetime(parser) { () -> (Node?, String)? in
            root.countingAliasExpansions(limit: nodeLimit) > nodeLimit ? largestSubtree(root, keyPath: "") : nil
        }
        if let (node, keyPath) = bomb {
            let location = source.location(of: node) ?? location(1, 1, source)
            return (nil, [Diagnostic.error(
                "the manifest expands to more than \(nodeLimit) YAML nodes through anchors and aliases",
                at: location, keyPath: keyPath, hint: "write the values out, or use fewer nested aliases",
                sourceLine: source.line(location.line))])
        }
        return (root, [])
    }

    /// The deepest key whose value's aliases alone pass the node limit: where the alias bomb goes off.
    private static func largestSubtree(_ node: Node, keyPath: String) -> (Node?, String) {
        var current: (key: Node?, value: Node, path: String) = (nil, node, keyPath)
        while true {
            var next: (Node?, Node, String)?
            switch current.value {
            case .mapping(let pairs):
                for (key, value) in pairs where value.countingAliasExpansions(limit: nodeLimit) > nodeLimit {
                    next = (key, value, current.path.appendingKey(key.string ?? "?"))
                    break
                }
            case .sequence(let items):
                for (index, item) in items.enumerated() where item.countingAliasExpansions(limit: nodeLimit) > nodeLimit {
                    next = (item, item, current.path.appendingIndex(index))
                    break
                }
            default: break
            }
            guard let next else { return (current.key, current.path) }
            current = next
        }
    }

    private static func location(_ line: Int, _ column: Int, _ source: ManifestSource) -> SourceLocation {
        SourceLocation(file: source.path, line: line, column: column)
    }

    /// A diagnostic for a Yams error, at its mark, with Yams's context as the note.
    static func diagnostic(for error: YamlError, in source: ManifestSource) -> Diagnostic {
        func located(_ message: String, _ line: Int, _ column: Int, hint: String?) -> Diagnostic {
            let location = SourceLocation(file: source.path, line: line, column: column)
            return Diagnostic.error(message, at: location, hint: hint, sourceLine: source.line(line))
        }
        func context(_ context: YamlError.Context?) -> String? {
            context.map { "\($0.text) (line \($0.mark.line), column \($0.mark.column))" }
        }
        switch error {
        case .parser(_, let problem, let mark, _) where problem.hasPrefix("Maximum nesting level reached"):
            // libyaml's own limit (1000), which keeps Yams's recursive composer off the end of the stack.
            return located("the manifest nests more than 1000 levels deep", mark.line, mark.column,
                           hint: "real manifests nest a few levels; write the values out flat")
        case .scanner(let ctx, let problem, let mark, _), .parser(let ctx, let problem, let mark, _),
             .composer(let ctx, let problem, let mark, _):
            return located("invalid YAML: \(problem)", mark.line, mark.column, hint: context(ctx))
        case .duplicatedKeysInMapping(let duplicates, let ctx):
            return duplicateKey(duplicates, firstMark: ctx.mark, in: source)
        case .reader(let problem, let offset, _, _):
            let (line, column) = lineAndColumn(ofUTF8Offset: offset ?? 0, in: source.text)
            return located("cannot read the manifest: \(problem)", line, column, hint: nil)
        case .dataCouldNotBeDecoded:
            return Diagnostic.error("the manifest is not valid UTF-8 text", at: location(1, 1, source))
        default:
            return Diagnostic.error("invalid YAML: \(error)", at: location(1, 1, source))
        }
    }

    /// Points at the second occurrence of a duplicated key (Yams reports the first) and names the first.
    private static func duplicateKey(_ keys: [String], firstMark: Mark, in source: ManifestSource) -> Diagnostic {
        let key = keys.first ?? "?"
        let first = SourceLocation(file: source.path, line: firstMark.line, column: firstMark.column)
        let second = DuplicateKeyLocator.secondOccurrence(of: key, after: first, in: source) ?? first
        let keyPath = DuplicateKeyLocator.keyPath(at: second, key: key, in: source)
        let others = keys.dropFirst().map { "'\($0)'" }
        let also = others.isEmpty ? "" : " (also \(others.joined(separator: ", ")))"
        return Diagnostic.error(
            "duplicate key '\(key)'\(also)", at: second, keyPath: keyPath,
            hint: "'\(key)' is first given at line \(first.line); keep one of them",
            sourceLine: source.line(second.line))
    }

    private static func lineAndColumn(ofUTF8Offset offset: Int, in text: String) -> (Int, Int) {
        var line = 1
        var column = 1
        for (index, byte) in text.utf8.enumerated() {
            if index >= offset { break }
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }
}
