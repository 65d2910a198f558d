/// A directed graph over hashable nodes: deterministic topological order and cycle paths.
///
/// An edge `a → b` means "a must come before b".
public struct DirectedGraph<Node: Hashable & Comparable>: Sendable where Node: Sendable {
    public private(set) var nodes: [Node] = []
    private var index: [Node: Int] = [:]
    private var successors: [[Int]] = []

    public init() {}

    /// Adds a node if it is not there yet.
    public mutating func add(_ node: Node) {
        guard index[node] == nil else { return }
        index[node] = nodes.count
        nodes.append(node)
        successors.append([])
    }

    /// Adds the edge `from → to` (and both nodes).
    public mutating func addEdge(from: Node, to: Node) {
        add(from)
        add(to)
        successors[index[from]!].append(index[to]!)  // swift-format-ignore: NeverForceUnwrap (added above)
    }

    /// The nodes in an order where every edge points forward; ties broken by node order, so the
    /// result is the same every time. Returns `.failure(cycle)` with one cycle as a path
    /// `[a, b, …, a]` when there is one.
    ///
    /// - Complexity: O((*V* + *E*) log *V*).
    public func topologicalOrder() -> Result<[Node], CycleError> {
        var indegree = [Int](repeating: 0, count: nodes.count)
        for edges in successors { for to in edges { indegree[to] += 1 } }
        var ready = (0..<nodes.count).filter { indegree[$0] == 0 }.sorted { nodes[$0] > nodes[$1] }
        var order: [Node] = []
        order.reserveCapacity(nodes.count)
        while let next = ready.popLast() {
            order.append(nodes[next])
            var added = false
            for to in successors[next] {
                indegree[to] -= 1
                if indegree[to] == 0 {
                    ready.append(to)
                    added = true
                }
            }
            if added { ready.sort { nodes[$0] > nodes[$1] } }
        }
        if order.count == nodes.count { return .success(order) }
        return .failure(CycleError(path: findCycle(among: indegree)))
    }

    private func findCycle(among indegree: [Int]) -> [Node] {
        // Every node still with indegree > 0 lies on or behind a cycle; walk until a node repeats.
        guard var current = (0..<nodes.count).filter({ indegree[$0] > 0 }).min(by: { nodes[$0] < nodes[$1] })
        else { return [] }
        var seen: [Int: Int] = [:]
        var path: [Int] = []
        while seen[current] == nil {
            seen[current] = path.count
            path.append(current)
            guard let next = successors[current].filter({ indegree[$0] > 0 }).min(by: { nodes[$0] < nodes[$1] })
            else { break }
            current = next
        }
        let start = seen[current] ?? 0
        return (path[start...] + [current]).map { nodes[$0] }
    }

    /// A cycle found while ordering, as the path that closes it.
    public struct CycleError: Error, Sendable {
        public let path: [Node]
    }
}
