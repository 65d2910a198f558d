import Basics
import Testing

@Suite struct DirectedGraphTests {
    @Test func orderIsTopologicalWithTiesBrokenByNodeOrder() throws {
        var graph = DirectedGraph<String>()
        graph.add("z")
        graph.add("m")
        graph.addEdge(from: "z", to: "a")
        graph.addEdge(from: "m", to: "b")
        graph.addEdge(from: "a", to: "b")
        // Ready at first: m, z (sorted). m unblocks nothing yet (b waits for a); z unblocks a; a unblocks b.
        #expect(try graph.topologicalOrder().get() == ["m", "z", "a", "b"])
    }

    @Test func sameOrderWhateverTheInsertionOrder() throws {
        let edges = [("load", "split"), ("split", "train"), ("load-training", "train"), ("train", "evaluate")]
        var forward = DirectedGraph<String>()
        for (from, to) in edges { forward.addEdge(from: from, to: to) }
        var backward = DirectedGraph<String>()
        for (from, to) in edges.reversed() { backward.addEdge(from: from, to: to) }
        let expected = ["load", "load-training", "split", "train", "evaluate"]
        #expect(try forward.topologicalOrder().get() == expected)
        #expect(try backward.topologicalOrder().get() == expected)
    }

    @Test func cycleIsReportedAsAClosedPath() {
        var graph = DirectedGraph<String>()
        graph.addEdge(from: "d", to: "a")
        graph.addEdge(from: "a", to: "b")
        graph.addEdge(from: "b", to: "c")
        graph.addEdge(from: "c", to: "a")
        graph.addEdge(from: "c", to: "e")
        switch graph.topologicalOrder() {
        case .success(let order): Issue.record("expected a cycle, got \(order)")
        case .failure(let cycle): #expect(cycle.path == ["a", "b", "c", "a"])
        }
    }

    /// A node behind the cycle that sorts first and leads nowhere ("a" after "x → y → x") once made the
    /// forward walk stop there and report ["a"]; the walk now goes backwards into the cycle.
    @Test func cycleIsFoundFromANodeBehindIt() {
        var graph = DirectedGraph<String>()
        graph.addEdge(from: "x", to: "y")
        graph.addEdge(from: "y", to: "x")
        graph.addEdge(from: "y", to: "a")
        switch graph.topologicalOrder() {
        case .success(let order): Issue.record("expected a cycle, got \(order)")
        case .failure(let cycle): #expect(cycle.path == ["x", "y", "x"])
        }
    }

    @Test func selfLoopIsACycle() {
        var graph = DirectedGraph<Int>()
        graph.addEdge(from: 1, to: 1)
        guard case .failure(let cycle) = graph.topologicalOrder() else {
            Issue.record("expected a cycle")
            return
        }
        #expect(cycle.path == [1, 1])
    }

    @Test func addingANodeTwiceKeepsOne() throws {
        var graph = DirectedGraph<Int>()
        graph.add(2)
        graph.add(2)
        graph.add(1)
        #expect(graph.nodes == [2, 1])
        #expect(try graph.topologicalOrder().get() == [1, 2])
    }
}
