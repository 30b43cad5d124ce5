/// The strongly connected components of a directed graph (Kosaraju's two passes, iterative so a
/// long chain of rules cannot exhaust the stack).
struct StronglyConnectedComponents {
    /// Components ordered so that every edge leaving a component points to an earlier one.
    let calleesFirst: [[Int]]

    /// `edges[v]` lists the vertices `v` points to.
    init(_ edges: [[Int]]) {
        let n = edges.count
        var finished: [Int] = []
        finished.reserveCapacity(n)
        var seen = [Bool](repeating: false, count: n)
        for start in 0..<n where !seen[start] {
            seen[start] = true
            var stack: [(vertex: Int, next: Int)] = [(start, 0)]
            while let (v, next) = stack.last {
                if next < edges[v].count {
                    stack[stack.count - 1].next += 1
                    let w = edges[v][next]
                    if !seen[w] {
                        seen[w] = true
                        stack.append((w, 0))
                    }
                } else {
                    finished.append(v)
                    stack.removeLast()
                }
            }
        }
        var reversed = [[Int]](repeating: [], count: n)
        for (v, targets) in edges.enumerated() {
            for w in targets { reversed[w].append(v) }
        }
        var component = [Int](repeating: -1, count: n)
        var components: [[Int]] = []
        for start in finished.reversed() where component[start] < 0 {
            var members: [Int] = []
            var stack = [start]
            component[start] = components.count
            while let v = stack.popLast() {
                members.append(v)
                for w in reversed[v] where component[w] < 0 {
                    component[w] = components.count
                    stack.append(w)
                }
            }
            components.append(members)
        }
        calleesFirst = components.reversed()
    }
}
