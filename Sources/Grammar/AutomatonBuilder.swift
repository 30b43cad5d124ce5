/// Turns a `Grammar` into a `GrammarAutomaton`: checks it can be run, decides which rules keep
/// an automaton of their own and which are expanded where they are used, builds and
/// determinises each kept rule, then drops every state from which no complete parse is possible,
/// so any position a matcher holds can still finish.
enum AutomatonBuilder {
    /// Rules referenced more than once stay separate above this expanded size; below it a copy
    /// per use costs less than the stack operations of a call.
    static let inlineSizeLimit = 48
    /// Rules whose expansion would nest deeper than this stay separate, which bounds the
    /// recursion depth of the builder whatever the grammar.
    static let inlineDepthLimit = 40

    static func build(_ grammar: Grammar, budget: inout CompileBudget) throws(GrammarError) -> GrammarAutomaton {
        let analysis = GrammarAnalysis(grammar)
        let rules = grammar.rules
        guard analysis.productive[grammar.root] else {
            throw .unusable("rule \"\(rules[grammar.root].name)\" matches no string")
        }
        if let cycle = analysis.leftRecursion() {
            throw .unusable(
                "left recursion: " + cycle.map { "\"\(rules[$0].name)\"" }.joined(separator: " calls ")
                    + " before reading any input; rewrite it with repetition")
        }

        let kept = keptRules(grammar)
        var keptIndex = [Int32?](repeating: nil, count: rules.count)
        var keptRules: [Int] = []
        for r in rules.indices where kept[r] {
            keptIndex[r] = Int32(keptRules.count)
            keptRules.append(r)
        }
        var dfas: [RuleDFA] = []
        for r in keptRules {
            let nfa = try RuleNFA(body: rules[r].body, rules: rules, keptIndex: keptIndex, budget: &budget)
            dfas.append(DFAMinimizer.minimize(try nfa.determinised(budget: &budget)))
        }
        return try assemble(
            dfas, names: keptRules.map { rules[$0].name }, shared: keptRules.map { rules[$0].isShared },
            root: keptIndex[grammar.root]!)
    }

    /// Which rules get their own automaton: the root, rules on a reference cycle, shared rules,
    /// and rules too large (or too deep) to copy into each place that uses them.
    private static func keptRules(_ grammar: Grammar) -> [Bool] {
        let rules = grammar.rules
        let n = rules.count
        var callees = [[Int]](repeating: [], count: n)
        var referenceCount = [Int](repeating: 0, count: n)
        for (i, rule) in rules.enumerated() {
            rule.body.forEachReference {
                callees[i].append($0)
                referenceCount[$0] += 1
            }
        }
        let components = StronglyConnectedComponents(callees)
        var kept = [Bool](repeating: false, count: n)
        var size = [Int](repeating: 0, count: n)
        var depth = [Int](repeating: 0, count: n)
        // Components come callees first, so every inlined callee's size is known when needed.
        for component in components.calleesFirst {
            let recursive = component.count > 1 || callees[component[0]].contains(component[0])
            for r in component {
                let (s, d) = measure(rules[r].body, kept: kept, size: size, depth: depth)
                size[r] = s
                depth[r] = d
                kept[r] =
                    r == grammar.root || recursive || rules[r].isShared || d > inlineDepthLimit
                    || (referenceCount[r] > 1 && s > inlineSizeLimit)
            }
        }
        return kept
    }

    /// The expanded size (automaton states, saturating) and nesting depth of `e` with the
    /// non-kept rules it references copied in.
    private static func measure(
        _ e: GrammarExpression, kept: [Bool], size: [Int], depth: [Int]
    ) -> (size: Int, depth: Int) {
        switch e {
        case .bytes: return (1, 1)
        case .literal(let bytes): return (max(bytes.count, 1), 1)
        case .sequence(let parts), .choice(let parts):
            var total = 1
            var deepest = 0
            for part in parts {
                let (s, d) = measure(part, kept: kept, size: size, depth: depth)
                total = total.addingSaturating(s)
                deepest = max(deepest, d)
            }
            return (total, deepest + 1)
        case .reference(let rule):
            return kept[rule] ? (1, 1) : (size[rule], depth[rule])
        case .repetition(let body, let min, let max):
            let (s, d) = measure(body, kept: kept, size: size, depth: depth)
            let copies = Swift.max(max ?? (min + 1), 1)
            return (s.multipliedSaturating(by: copies).addingSaturating(1), d + 1)
        }
    }

    /// Joins the rules' automata into one global numbering, removing dead states and marking tail
    /// calls.
    private static func assemble(
        _ dfas: [RuleDFA], names: [String], shared: [Bool], root: Int32
    ) throws(GrammarError) -> GrammarAutomaton {
        var offsets = [0]
        for dfa in dfas { offsets.append(offsets.last! + dfa.stateCount) }
        let total = offsets.last!
        let ruleStarts = offsets.dropLast().map { Int32($0) }
        func ruleOf(_ s: Int) -> Int {
            var lo = 0
            var hi = dfas.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if offsets[mid] <= s { lo = mid } else { hi = mid - 1 }
            }
            return lo
        }

        // Live states: from them some complete parse of their rule exists.
        var live = [Bool](repeating: false, count: total)
        var predecessors = [[Int32]](repeating: [], count: total)
        var waitingOnReturn = [[Int32]](repeating: [], count: total)  // state -> callers (return there)
        var waitingOnRule = [[(caller: Int32, returnState: Int32)]](repeating: [], count: dfas.count)
        var work: [Int32] = []
        for (r, dfa) in dfas.enumerated() {
            let base = offsets[r]
            for s in 0..<dfa.stateCount {
                let g = Int32(base + s)
                if dfa.isFinal[s] { work.append(g) }
                for c in 0..<dfa.classCount {
                    let t = dfa.transition(from: s, byteClass: c)
                    if t >= 0 { predecessors[base + Int(t)].append(g) }
                }
                for call in dfa.calls[s] {
                    let ret = Int32(base) + call.to
                    waitingOnReturn[Int(ret)].append(g)
                    waitingOnRule[Int(call.rule)].append((g, ret))
                }
            }
        }
        func isRuleStart(_ s: Int) -> Int? {
            let r = ruleOf(s)
            return offsets[r] == s ? r : nil
        }
        while let s = work.popLast() {
            if live[Int(s)] { continue }
            live[Int(s)] = true
            for p in predecessors[Int(s)] where !live[Int(p)] { work.append(p) }
            for caller in waitingOnReturn[Int(s)] where !live[Int(caller)] {
                // The caller is live through this call only if the callee can finish too.
                let r = ruleOf(Int(caller))
                let local = Int(caller) - offsets[r]
                for call in dfas[r].calls[local]
                where Int32(offsets[r]) + call.to == s && live[Int(ruleStarts[Int(call.rule)])] {
                    work.append(caller)
                    break
                }
            }
            if let r = isRuleStart(Int(s)) {
                for (caller, ret) in waitingOnRule[r] where !live[Int(caller)] && live[Int(ret)] {
                    work.append(caller)
                }
            }
        }
        guard live[Int(ruleStarts[Int(root)])] else {
            throw .unusable("rule \"\(names[Int(root)])\" matches no string")
        }

        // Global tables without dead edges.
        var states: [GrammarAutomaton.State] = []
        var classMaps: [UInt8] = []
        var transitions: [Int32] = []
        var calls: [GrammarAutomaton.Call] = []
        var firstBytes: [ByteSet] = []
        states.reserveCapacity(total)
        for (r, dfa) in dfas.enumerated() {
            let base = offsets[r]
            let classMap = Int32(classMaps.count)
            classMaps.append(contentsOf: dfa.classOf)
            for s in 0..<dfa.stateCount {
                let row = Int32(transitions.count)
                var reads = ByteSet()
                var classesRead = [Bool](repeating: false, count: dfa.classCount)
                for c in 0..<dfa.classCount {
                    let t = dfa.transition(from: s, byteClass: c)
                    let target = t >= 0 && live[base + Int(t)] && live[base + s] ? Int32(base) + t : -1
                    transitions.append(target)
                    if target >= 0 { classesRead[c] = true }
                }
                for b in 0..<256 where classesRead[Int(dfa.classOf[b])] { reads.insert(UInt8(b)) }
                let callStart = Int32(calls.count)
                if live[base + s] {
                    for call in dfa.calls[s]
                    where live[Int(ruleStarts[Int(call.rule)])] && live[base + Int(call.to)] {
                        calls.append(GrammarAutomaton.Call(rule: call.rule, returnState: Int32(base) + call.to))
                    }
                }
                var flags: UInt8 = 0
                if dfa.isFinal[s] { flags |= GrammarAutomaton.State.isFinal }
                if !reads.isEmpty { flags |= GrammarAutomaton.State.readsBytes }
                states.append(
                    GrammarAutomaton.State(
                        classMap: classMap, row: row, callStart: callStart, callEnd: Int32(calls.count), flags: flags))
                firstBytes.append(reads)
            }
        }
        // Tail calls: returning to a final state that does nothing else is returning to the
        // caller's own frame.
        for i in calls.indices {
            let ret = states[Int(calls[i].returnState)]
            if ret.flags == GrammarAutomaton.State.isFinal && ret.callStart == ret.callEnd {
                calls[i].returnState = -1
            }
        }
        for i in states.indices where states[i].callStart == states[i].callEnd {
            states[i].flags |= GrammarAutomaton.State.callsNothing
        }

        // States a parse can be in: reachable from the root's start through bytes, calls and returns.
        var reachable = [Bool](repeating: false, count: total)
        var rulesEntered = [Bool](repeating: false, count: dfas.count)
        var pending = [ruleStarts[Int(root)]]
        rulesEntered[Int(root)] = true
        while let s = pending.popLast() {
            if reachable[Int(s)] { continue }
            reachable[Int(s)] = true
            let info = states[Int(s)]
            if info.flags & GrammarAutomaton.State.readsBytes != 0 {
                for c in 0..<Int(dfas[ruleOf(Int(s))].classCount) {
                    let t = transitions[Int(info.row) + c]
                    if t >= 0 && !reachable[Int(t)] { pending.append(t) }
                }
            }
            for call in calls[Int(info.callStart)..<Int(info.callEnd)] {
                if call.returnState >= 0 && !reachable[Int(call.returnState)] { pending.append(call.returnState) }
                if !rulesEntered[Int(call.rule)] {
                    rulesEntered[Int(call.rule)] = true
                    pending.append(ruleStarts[Int(call.rule)])
                }
            }
        }
        let needsMask = states.indices.map {
            reachable[$0] && states[$0].flags & GrammarAutomaton.State.readsBytes != 0
        }

        var isCalled = [Bool](repeating: false, count: dfas.count)
        for call in calls { isCalled[Int(call.rule)] = true }
        let ruleStates = dfas.indices.map { Int32(offsets[$0])..<Int32(offsets[$0 + 1]) }
        let sharedKeys: [[Int32]?] = dfas.indices.map { r in
            shared[r]
                ? sharedKey(rule: Int32(r), states: states, transitions: transitions, calls: calls,
                            classMaps: classMaps, ruleStates: ruleStates, ruleStarts: ruleStarts)
                : nil
        }
        return GrammarAutomaton(
            states: states, classMaps: classMaps, transitions: transitions, calls: calls, ruleStarts: ruleStarts,
            ruleStates: ruleStates, rootRule: root, firstBytes: firstBytes, needsMask: needsMask,
            isCalled: isCalled, sharedKeys: sharedKeys)
    }

    /// A serialisation of `rule`'s automaton and of every rule it can call (renumbered in the
    /// order they are found), which determines its token masks exactly.
    private static func sharedKey(
        rule: Int32, states: [GrammarAutomaton.State], transitions: [Int32], calls: [GrammarAutomaton.Call],
        classMaps: [UInt8], ruleStates: [Range<Int32>], ruleStarts: [Int32]
    ) -> [Int32] {
        var order: [Int32] = [rule]
        var local: [Int32: Int32] = [rule: 0]
        var key: [Int32] = []
        var i = 0
        while i < order.count {
            let r = order[i]
            i += 1
            let range = ruleStates[Int(r)]
            let first = states[Int(range.lowerBound)]
            key.append(-1)
            key.append(Int32(range.count))
            for b in 0..<256 { key.append(Int32(classMaps[Int(first.classMap) + b])) }
            let classCount = range.count > 0 ? Int(classMaps[Int(first.classMap)..<Int(first.classMap) + 256].max()!) + 1 : 0
            for s in range {
                let info = states[Int(s)]
                key.append(Int32(info.flags))
                for c in 0..<classCount {
                    let t = transitions[Int(info.row) + c]
                    key.append(t < 0 ? -1 : t - range.lowerBound)
                }
                key.append(info.callEnd - info.callStart)
                for call in calls[Int(info.callStart)..<Int(info.callEnd)] {
                    if local[call.rule] == nil {
                        local[call.rule] = Int32(order.count)
                        order.append(call.rule)
                    }
                    key.append(local[call.rule]!)
                    key.append(call.returnState < 0 ? -1 : call.returnState - range.lowerBound)
                }
            }
        }
        return key
    }
}

extension Int {
    func addingSaturating(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }

    func multipliedSaturating(by other: Int) -> Int {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : product
    }
}
