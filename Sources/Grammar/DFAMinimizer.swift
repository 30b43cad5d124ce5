/// Hopcroft's partition refinement over a rule's automaton, with each called rule as one more
/// input symbol: merges states no input can tell apart. The subset construction leaves many
/// such states (a JSON string's loop comes out as some twenty copies of "inside the string"),
/// and every state that survives costs a trie walk to precompute its mask.
enum DFAMinimizer {
    static func minimize(_ dfa: RuleDFA) -> RuleDFA {
        let n = dfa.stateCount
        guard n > 1 else { return dfa }
        let dead = n  // an explicit sink for missing transitions
        let total = n + 1
        var callRules: [Int32] = []
        for calls in dfa.calls { for call in calls where !callRules.contains(call.rule) { callRules.append(call.rule) } }
        callRules.sort()
        let symbolCount = dfa.classCount + callRules.count
        func target(_ q: Int, _ symbol: Int) -> Int {
            guard q < n else { return dead }
            if symbol < dfa.classCount {
                let t = dfa.transition(from: q, byteClass: symbol)
                return t < 0 ? dead : Int(t)
            }
            let rule = callRules[symbol - dfa.classCount]
            return dfa.calls[q].first { $0.rule == rule }.map { Int($0.to) } ?? dead
        }
        // Inverse transitions per symbol, as compressed rows.
        var inverseStart = [[Int]](repeating: [], count: symbolCount)
        var inverse = [[Int32]](repeating: [], count: symbolCount)
        for symbol in 0..<symbolCount {
            var counts = [Int](repeating: 0, count: total + 1)
            for q in 0..<total { counts[target(q, symbol) + 1] += 1 }
            for i in 0..<total { counts[i + 1] += counts[i] }
            var fill = counts
            var sources = [Int32](repeating: 0, count: total)
            for q in 0..<total {
                let t = target(q, symbol)
                sources[fill[t]] = Int32(q)
                fill[t] += 1
            }
            inverseStart[symbol] = counts
            inverse[symbol] = sources
        }

        // Refinable partition: each block a range of `elements`; `position` finds an element.
        var elements = [Int](0..<total)
        var position = [Int](0..<total)
        var blockOf = [Int](repeating: 0, count: total)
        var first: [Int] = []
        var end: [Int] = []
        var marked: [Int] = []
        // Initial blocks: final states, the rest (the sink among them).
        elements.sort { (q: Int, r: Int) in
            let fq = q < n && dfa.isFinal[q]
            let fr = r < n && dfa.isFinal[r]
            return fq != fr ? fq : q < r
        }
        for (i, q) in elements.enumerated() { position[q] = i }
        let finalCount = dfa.isFinal.filter { $0 }.count
        for (start, stop) in [(0, finalCount), (finalCount, total)] where start < stop {
            for i in start..<stop { blockOf[elements[i]] = first.count }
            first.append(start)
            end.append(stop)
            marked.append(0)
        }
        var work = Array(first.indices)
        var inWork = [Bool](repeating: true, count: first.count)
        var touched: [Int] = []
        while let splitter = work.popLast() {
            inWork[splitter] = false
            let members = Array(elements[first[splitter]..<end[splitter]])
            for symbol in 0..<symbolCount {
                touched.removeAll(keepingCapacity: true)
                for a in members {
                    for i in inverseStart[symbol][a]..<inverseStart[symbol][a + 1] {
                        let q = Int(inverse[symbol][i])
                        let b = blockOf[q]
                        // Move q into the marked front part of its block.
                        let slot = first[b] + marked[b]
                        guard position[q] >= slot else { continue }
                        let other = elements[slot]
                        elements.swapAt(position[q], slot)
                        position[other] = position[q]
                        position[q] = slot
                        if marked[b] == 0 { touched.append(b) }
                        marked[b] += 1
                    }
                }
                for b in touched {
                    let size = end[b] - first[b]
                    let m = marked[b]
                    marked[b] = 0
                    guard m < size else { continue }
                    // Split: the marked part becomes a new block.
                    let newBlock = first.count
                    first.append(first[b])
                    end.append(first[b] + m)
                    marked.append(0)
                    first[b] += m
                    for i in first[newBlock]..<end[newBlock] { blockOf[elements[i]] = newBlock }
                    if inWork[b] {
                        inWork.append(true)
                        work.append(newBlock)
                    } else {
                        let smaller = m <= size - m ? newBlock : b
                        inWork.append(smaller == newBlock)
                        if smaller == b { inWork[b] = true }
                        work.append(smaller)
                    }
                }
            }
        }

        // New numbering: the start's block first, the sink's block dropped.
        let deadBlock = blockOf[dead]
        var newIndex = [Int32](repeating: -1, count: first.count)
        var order: [Int] = []
        var queue = [blockOf[0]]
        newIndex[blockOf[0]] = 0
        order.append(blockOf[0])
        var head = 0
        while head < queue.count {
            let b = queue[head]
            head += 1
            let q = elements[first[b]]
            for symbol in 0..<symbolCount {
                let t = blockOf[target(q, symbol)]
                if t != deadBlock && newIndex[t] < 0 {
                    newIndex[t] = Int32(order.count)
                    order.append(t)
                    queue.append(t)
                }
            }
        }
        var out = RuleDFA(classOf: dfa.classOf, classCount: dfa.classCount)
        for b in order { out.addState(isFinal: dfa.isFinal[elements[first[b]]]) }
        for (i, b) in order.enumerated() {
            let q = elements[first[b]]
            for c in 0..<dfa.classCount {
                let t = blockOf[target(q, c)]
                if t != deadBlock { out.setTransition(from: Int32(i), byteClass: c, to: newIndex[t]) }
            }
            for call in dfa.calls[q] {
                let t = blockOf[Int(call.to)]
                if t != deadBlock { out.addCall(from: Int32(i), rule: call.rule, to: newIndex[t]) }
            }
        }
        return out
    }
}
