/// A nondeterministic automaton for one rule, built from its expression (Thompson's
/// construction): edges on byte sets, calls of other rules, and empty moves. State 0 is the
/// start; `accept` is the one accepting state. Determinised into a `RuleDFA`.
struct RuleNFA {
    private(set) var stateCount = 1
    private var epsilonEdges: [(from: Int32, to: Int32)] = []
    private var byteEdges: [(from: Int32, set: ByteSet, to: Int32)] = []
    private var callEdges: [(from: Int32, rule: Int32, to: Int32)] = []
    private(set) var accept: Int32 = 0

    /// Builds the automaton of `body`; references to rules that `keptIndex` maps to an index
    /// become calls, the others are expanded in place (they are never recursive).
    init(
        body: GrammarExpression, rules: [Grammar.Rule], keptIndex: [Int32?], budget: inout CompileBudget
    ) throws(GrammarError) {
        accept = try build(body, from: 0, rules: rules, keptIndex: keptIndex, budget: &budget)
    }

    private mutating func newState(_ budget: inout CompileBudget) throws(GrammarError) -> Int32 {
        try budget.chargeNFAStates(1)
        stateCount += 1
        return Int32(stateCount - 1)
    }

    /// Adds the expression's states after `start`; returns the state reached at its end.
    private mutating func build(
        _ e: GrammarExpression, from start: Int32, rules: [Grammar.Rule], keptIndex: [Int32?],
        budget: inout CompileBudget
    ) throws(GrammarError) -> Int32 {
        switch e {
        case .bytes(let set):
            let end = try newState(&budget)
            if !set.isEmpty { byteEdges.append((start, set, end)) }
            return end
        case .literal(let bytes):
            var at = start
            for b in bytes {
                let next = try newState(&budget)
                byteEdges.append((at, ByteSet(b...b), next))
                at = next
            }
            return at
        case .sequence(let parts):
            var at = start
            for part in parts { at = try build(part, from: at, rules: rules, keptIndex: keptIndex, budget: &budget) }
            return at
        case .choice(let parts):
            let end = try newState(&budget)
            for part in parts {
                let entry = try newState(&budget)
                epsilonEdges.append((start, entry))
                let exit = try build(part, from: entry, rules: rules, keptIndex: keptIndex, budget: &budget)
                epsilonEdges.append((exit, end))
            }
            return end
        case .reference(let rule):
            if let kept = keptIndex[rule] {
                let end = try newState(&budget)
                callEdges.append((start, kept, end))
                return end
            }
            return try build(rules[rule].body, from: start, rules: rules, keptIndex: keptIndex, budget: &budget)
        case .repetition(let body, let min, let max):
            var at = start
            for _ in 0..<min { at = try build(body, from: at, rules: rules, keptIndex: keptIndex, budget: &budget) }
            guard let max else {
                // A loop state: the body leaves from it and comes back to it.
                let loop = try newState(&budget)
                epsilonEdges.append((at, loop))
                let exit = try build(body, from: loop, rules: rules, keptIndex: keptIndex, budget: &budget)
                epsilonEdges.append((exit, loop))
                return loop
            }
            guard max > min else { return at }
            let end = try newState(&budget)
            epsilonEdges.append((at, end))
            for _ in min..<max {
                at = try build(body, from: at, rules: rules, keptIndex: keptIndex, budget: &budget)
                epsilonEdges.append((at, end))
            }
            return end
        }
    }

    /// The subset construction: each deterministic state is the set of automaton states reachable
    /// on one input, bytes grouped into classes that every edge treats alike.
    func determinised(budget: inout CompileBudget) throws(GrammarError) -> RuleDFA {
        let n = stateCount
        let epsilon = Adjacency(n, epsilonEdges.map { ($0.from, $0.to) })

        // Byte classes: refine {all bytes} by every distinct edge set.
        var distinctSets: [ByteSet: Int] = [:]
        for edge in byteEdges where distinctSets[edge.set] == nil { distinctSets[edge.set] = distinctSets.count }
        var classOf = [UInt8](repeating: 0, count: 256)
        var classCount = 1
        for set in distinctSets.keys.sorted(by: { distinctSets[$0]! < distinctSets[$1]! }) {
            var remap: [Int: Int] = [:]
            var next = 0
            for b in 0..<256 {
                let key = Int(classOf[b]) * 2 + (set.contains(UInt8(b)) ? 1 : 0)
                if let c = remap[key] {
                    classOf[b] = UInt8(c)
                } else {
                    remap[key] = next
                    classOf[b] = UInt8(next)
                    next += 1
                }
            }
            classCount = next
        }
        // Which classes each distinct set covers.
        var classesInSet = [[Int]](repeating: [], count: distinctSets.count)
        for (set, index) in distinctSets {
            var seen = Set<Int>()
            for b in 0..<256 where set.contains(UInt8(b)) && seen.insert(Int(classOf[b])).inserted {
                classesInSet[index].append(Int(classOf[b]))
            }
        }
        let edgeSetIndex = byteEdges.map { distinctSets[$0.set]! }
        let bytesFrom = Adjacency(n, byteEdges.enumerated().map { ($0.element.from, Int32($0.offset)) })
        let callsFrom = Adjacency(n, callEdges.enumerated().map { ($0.element.from, Int32($0.offset)) })

        var mark = [UInt32](repeating: 0, count: n)
        var generation: UInt32 = 0
        func closure(_ seeds: [Int32], _ budget: inout CompileBudget) throws(GrammarError) -> [Int32] {
            generation += 1
            var out: [Int32] = []
            var stack = seeds
            while let q = stack.popLast() {
                if mark[Int(q)] == generation { continue }
                mark[Int(q)] = generation
                out.append(q)
                for t in epsilon[q] where mark[Int(t)] != generation { stack.append(t) }
            }
            try budget.chargeDeterminisingSteps(2 * out.count + seeds.count)
            return out.sorted()
        }

        var dfa = RuleDFA(classOf: classOf, classCount: classCount)
        var index: [[Int32]: Int32] = [:]
        var sets: [[Int32]] = []
        func intern(_ set: [Int32], _ budget: inout CompileBudget) throws(GrammarError) -> Int32 {
            if let id = index[set] { return id }
            try budget.chargeDFAStates(1)
            let id = Int32(sets.count)
            index[set] = id
            sets.append(set)
            dfa.addState(isFinal: set.contains(accept))
            return id
        }
        _ = try intern(closure([0], &budget), &budget)
        var done = 0
        var targets = [[Int32]](repeating: [], count: classCount)
        while done < sets.count {
            let current = sets[done]
            let from = Int32(done)
            done += 1
            for c in 0..<classCount { targets[c].removeAll(keepingCapacity: true) }
            var callsByRule: [Int32: [Int32]] = [:]
            for q in current {
                for edge in bytesFrom[q] {
                    let target = byteEdges[Int(edge)].to
                    for c in classesInSet[edgeSetIndex[Int(edge)]] { targets[c].append(target) }
                }
                for edge in callsFrom[q] {
                    callsByRule[callEdges[Int(edge)].rule, default: []].append(callEdges[Int(edge)].to)
                }
            }
            for c in 0..<classCount where !targets[c].isEmpty {
                let to = try intern(closure(targets[c], &budget), &budget)
                dfa.setTransition(from: from, byteClass: c, to: to)
            }
            for rule in callsByRule.keys.sorted() {
                let to = try intern(closure(callsByRule[rule]!, &budget), &budget)
                dfa.addCall(from: from, rule: rule, to: to)
            }
        }
        return dfa
    }
}

/// Edges grouped by their source state (compressed rows).
private struct Adjacency {
    private let offsets: [Int]
    private let values: [Int32]

    init(_ n: Int, _ edges: [(Int32, Int32)]) {
        var counts = [Int](repeating: 0, count: n + 1)
        for (from, _) in edges { counts[Int(from) + 1] += 1 }
        for i in 0..<n { counts[i + 1] += counts[i] }
        var fill = counts
        var values = [Int32](repeating: 0, count: edges.count)
        for (from, to) in edges {
            values[fill[Int(from)]] = to
            fill[Int(from)] += 1
        }
        self.offsets = counts
        self.values = values
    }

    subscript(state: Int32) -> ArraySlice<Int32> {
        values[offsets[Int(state)]..<offsets[Int(state) + 1]]
    }
}
