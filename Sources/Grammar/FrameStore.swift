/// Where the return frames of a parse stack live. The matcher keeps them as shared immutable
/// nodes (`PersistentFrames`) so a copied matcher shares its stacks; the mask precomputation
/// keeps them in a scratch array it truncates as it backtracks (`WalkFrames`). Both run the same
/// stepping code (`GrammarAutomaton.step`), so a precomputed mask and a brute-force check agree.
protocol FrameStore {
    associatedtype Frame
    /// Whether `frame` is the one below every rule of the stack: the end of the grammar (matcher)
    /// or of the rule a mask is being computed for (precomputation).
    func isBottom(_ frame: Frame) -> Bool
    /// A value equal for the same frame and different for different live frames.
    func key(_ frame: Frame) -> Int
    /// A frame that continues at `state` once the called rule returns, then as `parent`.
    mutating func push(returnState state: Int32, parent: Frame) -> Frame
    /// The continuation below `frame`, or nil if it is the bottom.
    mutating func pop(_ frame: Frame) -> (state: Int32, parent: Frame)?
    /// A point to return to with `rewind(to:)`.
    var mark: Int { get }
    /// Forgets the frames pushed since `mark` (the walk has backtracked past every use of them).
    mutating func rewind(to mark: Int)
}

/// One way the input so far can be parsed: the automaton state that reads the next byte, and the
/// frames to return to.
struct MatchPosition<Frame> {
    var state: Int32
    var frame: Frame
}

extension MatchPosition: Sendable where Frame: Sendable {}

/// A return frame of a parse stack: immutable once built and shared by every stack (and every
/// copy of a matcher) that contains it.
final class StackFrame: @unchecked Sendable {
    let state: Int32
    /// Written only by `deinit`, which unlinks a chain it alone holds so releasing a deep stack
    /// does not recurse once per frame.
    private(set) var parent: StackFrame?

    init(state: Int32, parent: StackFrame?) {
        self.state = state
        self.parent = parent
    }

    deinit {
        var next = parent
        parent = nil
        while isKnownUniquelyReferenced(&next) {
            let below = next?.parent
            next?.parent = nil
            next = below
        }
    }
}

/// Return frames as shared `StackFrame` nodes: `nil` is the end of the grammar.
struct PersistentFrames: FrameStore {
    func isBottom(_ frame: StackFrame?) -> Bool {
        frame == nil
    }

    func key(_ frame: StackFrame?) -> Int {
        frame.map { Int(bitPattern: UInt(bitPattern: ObjectIdentifier($0))) } ?? 0
    }

    mutating func push(returnState state: Int32, parent: StackFrame?) -> StackFrame? {
        StackFrame(state: state, parent: parent)
    }

    func pop(_ frame: StackFrame?) -> (state: Int32, parent: StackFrame?)? {
        frame.map { ($0.state, $0.parent) }
    }

    /// Shared frames are freed by reference counting, never rewound.
    var mark: Int { 0 }

    mutating func rewind(to mark: Int) {}
}

/// Return frames of a trie walk, as `Int32` codes: frames pushed during the walk live in an
/// arena (codes from 0) that the walk truncates as it backtracks (`rewind`); frames that existed
/// before the walk (a matcher's stack) are registered by reference (codes from -2 down); -1 is
/// the bottom (the grammar's end, or the rule whose mask is being precomputed).
struct WalkFrames: FrameStore {
    private var states: [Int32] = []
    private var parents: [Int32] = []
    /// Registered shared frames; code `-2 - i` is `external[i]`.
    private var external: [StackFrame] = []

    func isBottom(_ frame: Int32) -> Bool {
        frame == -1
    }

    func key(_ frame: Int32) -> Int {
        Int(frame)
    }

    mutating func push(returnState state: Int32, parent: Int32) -> Int32 {
        states.append(state)
        parents.append(parent)
        return Int32(states.count - 1)
    }

    mutating func pop(_ frame: Int32) -> (state: Int32, parent: Int32)? {
        if frame >= 0 { return (states[Int(frame)], parents[Int(frame)]) }
        if frame == -1 { return nil }
        let shared = external[Int(-2 - frame)]
        return (shared.state, register(shared.parent))
    }

    /// The code of a matcher's frame (the same code each time for the same frame).
    mutating func register(_ frame: StackFrame?) -> Int32 {
        guard let frame else { return -1 }
        if let i = external.firstIndex(where: { $0 === frame }) { return Int32(-2 - i) }
        external.append(frame)
        return Int32(-2 - (external.count - 1))
    }

    var mark: Int { states.count }

    mutating func rewind(to mark: Int) {
        guard mark < states.count else { return }
        states.removeSubrange(mark...)
        parents.removeSubrange(mark...)
    }

    /// Forgets everything (between walks).
    mutating func reset() {
        states.removeAll(keepingCapacity: true)
        parents.removeAll(keepingCapacity: true)
        external.removeAll(keepingCapacity: true)
    }
}
