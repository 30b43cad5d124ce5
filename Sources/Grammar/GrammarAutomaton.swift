/// A grammar compiled to byte automata: one deterministic automaton per rule that was not
/// inlined (the root, recursive rules, shared lexical rules and large rules used more than once),
/// numbered globally. A parse is a set of positions (`MatchPosition`): a state that reads the
/// next byte plus a stack of frames to return to; `step` advances all of them by one byte.
struct GrammarAutomaton: Sendable {
    struct State: Sendable {
        /// Offset of the state's rule's 256-entry byte-class map in `classMaps`.
        var classMap: Int32
        /// Offset of the state's row in `transitions` (one entry per byte class).
        var row: Int32
        var callStart: Int32
        var callEnd: Int32
        var flags: UInt8

        static let isFinal: UInt8 = 1
        static let readsBytes: UInt8 = 2
        /// Calls no rule: a byte into it needs no expansion unless it is final above the bottom.
        static let callsNothing: UInt8 = 4
    }

    /// Call `rule`, then continue at `returnState`; -1 for a tail call (the caller has nothing
    /// left to do, so the callee returns straight to the caller's frame).
    struct Call: Sendable {
        var rule: Int32
        var returnState: Int32
    }

    let states: [State]
    let classMaps: [UInt8]
    let transitions: [Int32]
    let calls: [Call]
    let ruleStarts: [Int32]
    /// Each rule's states: `ruleStates[r]` is a range of global state ids.
    let ruleStates: [Range<Int32>]
    let rootRule: Int32
    /// Per state: the bytes it has a transition on.
    let firstBytes: [ByteSet]
    /// Per state: it reads bytes and a parse can be in it (so it needs a token mask).
    let needsMask: [Bool]
    /// Per rule: some call edge enters it (otherwise it is only ever the root, with nothing
    /// below it, and its states need no exits).
    let isCalled: [Bool]
    /// Per rule: for shared rules, a description of the rule and every rule it can call, equal
    /// exactly when their automata are equal, so token masks can be reused across grammars.
    let sharedKeys: [[Int32]?]

    /// More simultaneous parses than this after one byte make the byte fail: only a pathologically
    /// ambiguous grammar gets there, and it would otherwise grow without bound.
    static let maxPositions = 4096

    var stateCount: Int { states.count }

    /// The state `s` moves to on `byte`, or -1.
    @inline(__always)
    func next(_ s: Int32, _ byte: UInt8) -> Int32 {
        let info = states[Int(s)]
        let byteClass = classMaps[Int(info.classMap) + Int(byte)]
        return transitions[Int(info.row) + Int(byteClass)]
    }

    /// Advances `positions` by one byte, appending the resulting byte-reading positions to `out`
    /// (deduplicated). Returns whether some parse reaches the bottom frame right after the byte:
    /// the grammar (or, precomputing, the rule) can end there.
    func step<S: FrameStore>(
        _ positions: UnsafeBufferPointer<MatchPosition<S.Frame>>, byte: UInt8, store: inout S,
        into out: inout [MatchPosition<S.Frame>], scratch: inout StepScratch<S.Frame>
    ) -> Bool {
        let base = out.count
        if positions.count == 1 {
            let p = positions[0]
            let t = next(p.state, byte)
            if t < 0 { return false }
            let flags = states[Int(t)].flags
            if flags & State.callsNothing != 0 && (flags & State.isFinal == 0 || store.isBottom(p.frame)) {
                if flags & State.readsBytes != 0 { out.append(MatchPosition(state: t, frame: p.frame)) }
                return flags & State.isFinal != 0
            }
            scratch.reset()
            let ended = expand(MatchPosition(state: t, frame: p.frame), store: &store, into: &out, scratch: &scratch)
            return capped(&out, base: base, ended)
        }
        scratch.reset()
        var ended = false
        for p in positions {
            let t = next(p.state, byte)
            if t < 0 { continue }
            if expand(MatchPosition(state: t, frame: p.frame), store: &store, into: &out, scratch: &scratch) {
                ended = true
            }
        }
        return capped(&out, base: base, ended)
    }

    /// The byte-reading positions (and whether the bottom is reached) from `position` without
    /// reading input: calls push frames, final states return to the frame below.
    func expand<S: FrameStore>(
        _ position: MatchPosition<S.Frame>, store: inout S, into out: inout [MatchPosition<S.Frame>],
        scratch: inout StepScratch<S.Frame>
    ) -> Bool {
        var ended = false
        scratch.pending.append(position)
        while let p = scratch.pending.popLast() {
            let key = store.key(p.frame)
            guard scratch.visit(state: p.state, key: key) else { continue }
            let info = states[Int(p.state)]
            if info.flags & State.readsBytes != 0 { out.append(p) }
            if info.flags & State.isFinal != 0 {
                if let (state, parent) = store.pop(p.frame) {
                    scratch.pending.append(MatchPosition(state: state, frame: parent))
                } else {
                    ended = true
                }
            }
            for i in Int(info.callStart)..<Int(info.callEnd) {
                let call = calls[i]
                let frame =
                    call.returnState < 0
                    ? p.frame : scratch.frame(returnState: call.returnState, parent: p.frame, key: key, store: &store)
                scratch.pending.append(MatchPosition(state: ruleStarts[Int(call.rule)], frame: frame))
            }
        }
        return ended
    }

    private func capped<F>(_ out: inout [MatchPosition<F>], base: Int, _ ended: Bool) -> Bool {
        if out.count - base > Self.maxPositions {
            out.removeSubrange(base...)
            return false
        }
        return ended
    }
}

/// Reusable buffers for `GrammarAutomaton.step`: the work list, the positions already expanded
/// in this step, and the frames pushed in it (so equal pushes share one frame).
struct StepScratch<Frame> {
    fileprivate var pending: [MatchPosition<Frame>] = []
    private var visited: [(state: Int32, key: Int)] = []
    private var visitedSet: Set<VisitKey> = []
    private var pushed: [(state: Int32, parentKey: Int, frame: Frame)] = []

    private struct VisitKey: Hashable {
        var state: Int32
        var key: Int
    }

    mutating func reset() {
        visited.removeAll(keepingCapacity: true)
        if !visitedSet.isEmpty { visitedSet.removeAll(keepingCapacity: true) }
        pushed.removeAll(keepingCapacity: true)
    }

    /// Records a position; false if it was already recorded in this step.
    fileprivate mutating func visit(state: Int32, key: Int) -> Bool {
        if visited.count < 32 {
            for v in visited where v.state == state && v.key == key { return false }
            visited.append((state, key))
            if visited.count == 32 {
                for v in visited { visitedSet.insert(VisitKey(state: v.state, key: v.key)) }
            }
            return true
        }
        return visitedSet.insert(VisitKey(state: state, key: key)).inserted
    }

    fileprivate mutating func frame<S: FrameStore>(
        returnState: Int32, parent: Frame, key: Int, store: inout S
    ) -> Frame where S.Frame == Frame {
        for p in pushed where p.state == returnState && p.parentKey == key { return p.frame }
        let frame = store.push(returnState: returnState, parent: parent)
        if pushed.count < 64 { pushed.append((returnState, key, frame)) }
        return frame
    }
}
