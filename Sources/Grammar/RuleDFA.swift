/// A deterministic automaton for one rule: byte transitions through a 256-entry class map, and
/// call edges (call rule `r`, continue at `to` once it returns). Nondeterminism left between a
/// byte edge and a call, or between calls, is resolved at run time by keeping several positions.
struct RuleDFA {
    let classOf: [UInt8]
    let classCount: Int
    /// Row-major: `transitions[state * classCount + class]`, -1 for none.
    private(set) var transitions: [Int32] = []
    private(set) var isFinal: [Bool] = []
    private(set) var calls: [[(rule: Int32, to: Int32)]] = []

    init(classOf: [UInt8], classCount: Int) {
        self.classOf = classOf
        self.classCount = classCount
    }

    var stateCount: Int { isFinal.count }

    mutating func addState(isFinal final: Bool) {
        isFinal.append(final)
        calls.append([])
        transitions.append(contentsOf: repeatElement(-1, count: classCount))
    }

    mutating func setTransition(from: Int32, byteClass: Int, to: Int32) {
        transitions[Int(from) * classCount + byteClass] = to
    }

    mutating func addCall(from: Int32, rule: Int32, to: Int32) {
        calls[Int(from)].append((rule, to))
    }

    func transition(from state: Int, byteClass: Int) -> Int32 {
        transitions[state * classCount + byteClass]
    }
}
