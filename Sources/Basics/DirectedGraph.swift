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
        // Kahn's algorithm with the ready set in a min-heap of each node's rank in sorted order, so
        // ties always break the same way without re-sorting.
        var rank = [Int](repeating: 0, count: nodes.count)
        for (position, index) in nodes.indices.sorted(by: { nodes[$0] < nodes[$1] }).enumerated() { rank[index] = position }
        let byRank = nodes.indices.sorted { rank[$0] < rank[$1] }
        var ready = MinHeap()
        for index in nodes.indices where indegree[index] == 0 { ready.insert(rank[index]) }
        var order: [Node] = []
        order.reserveCapacity(nodes.count)
        while let next = ready.popMin() {
            let index = byRank[next]
            order.append(nodes[index])
            for to in successors[index] {
                indegree[to] -= 1
                if indegree[to] == 0 { ready.insert(rank[to]) }
            }
        }
        if order.count == nodes.count { return .success(order) }
        return .failure(CycleError(path: findCycle(among: indegree)))
    }

    private func findCycle(among indegree: [Int]) -> [Node] {
        // Every node still with indegree > 0 lies on or behind a cycle, and has a predecessor that does
        // too (an unordered one): walk backwards until a node repeats. (Walking forwards can end at a node
        // behind the cycle that leads nowhere.)
        var predecessors = Array(repeating: [Int](), count: nodes.count)
        for from in nodes.indices where indegree[from] > 0 {
            for to in successors[from] where indegree[to] > 0 { predecessors[to].append(from) }
        }
        guard var current = (0..<nodes.count).filter({ indegree[$0] > 0 }).min(by: { nodes[$0] < nodes[$1] })
        else { return [] }
        var seen: [Int: Int] = [:]
        var path: [Int] = []
        while seen[current] == nil {
            seen[current] = path.count
            path.append(current)
            guard let previous = predecessors[current].min(by: { nodes[$0] < nodes[$1] }) else { break }
            current = previous
        }
        let start = seen[current] ?? 0
        // The walk went against the edges: reverse it, starting the cycle at its smallest node.
        var cycle = Array(path[start...].reversed())
        if let smallest = cycle.indices.min(by: { nodes[cycle[$0]] < nodes[cycle[$1]] }) {
            cycle = Array(cycle[smallest...] + cycle[..<smallest])
        }
        return (cycle + [cycle[0]]).map { nodes[$0] }
    }

    /// A cycle found while ordering, as the path that closes it.
    public struct CycleError: Error, Sendable {
        public let path: [Node]
    }
}

/// A binary min-heap of integers.
struct MinHeap {
    private var items: [Int] = []

    mutating func insert(_ value: Int) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count, items[left] < items[smallest] { smallest = left }
                if right < items.count, items[right] < items[smallest] { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
