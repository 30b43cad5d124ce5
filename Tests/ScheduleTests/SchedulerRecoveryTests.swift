import LightServeCore
import Testing

@testable import Schedule

/// The scheduler never wedges: a pool that runs short preempts, a malformed step result fails
/// its requests, and sizes a client chose cannot overflow its arithmetic.
@Suite struct SchedulerRecoveryTests {
    typealias T = SchedulerStateMachineTests

    /// Admission that expects at most `cap` new tokens per sequence, as LightLLM's router does.
    static func machine(capacity: Int, cap: Int, maxRunning: Int = 8, batchMaxTokens: Int = 64) -> SchedulerStateMachine {
        SchedulerStateMachine(configuration: SchedulerConfiguration(
            kvCapacity: capacity, maxRunningSequences: maxRunning, batchMaxTokens: batchMaxTokens, stopTokens: [T.eos],
            prefixCaching: false, routerMaxNewTokenLength: cap))
    }

    static func preempted(_ actions: [SchedulerStateMachine.Action]) -> [RequestID] {
        actions.compactMap { if case .preempted(let request) = $0 { request.id } else { nil } }
    }

    @Test func testPoolRunningShortPreemptsTheNewestRequestWhichResumesWithItsOutput() {
        // Admission expects 2 new tokens each, so both 4-token prompts start; 20 slots cannot hold
        // both runs of 4 + 10, so the newer one is preempted and recomputed afterwards.
        var m = Self.machine(capacity: 20, cap: 2)
        let a = T.admission(prompt: 4, maxNew: 10, ignoreEOS: true)
        let b = T.admission(prompt: 4, maxNew: 10, ignoreEOS: true)
        var actions = m.admit(a) + m.admit(b)
        var step = T.steps(actions)[0]
        var tokens: [RequestID: [Int32]] = [:]
        var finished: Set<RequestID> = []
        var preemptions: [RequestID] = []
        var resumedRow: Step.Row?
        var next: Int32 = 100
        while true {
            // Each step samples a distinct token, so a resumed row shows exactly what it replays.
            let outcomes = step.rows.map { row -> StepResult.Outcome in
                guard case .sample(let state) = row.output else { return .none }
                next += 1
                return .sampled(token: next, logprob: 0, alternatives: [], state: state)
            }
            actions = m.stepCompleted(StepResult(number: step.number, outcomes: outcomes, duration: .zero))
            for case .token(let request, _, let id, _, _, let finish) in T.emitted(actions) {
                tokens[request.id, default: []].append(id)
                if finish != nil { finished.insert(request.id) }
            }
            preemptions += Self.preempted(actions)
            guard let following = T.steps(actions).first else { break }
            if let row = following.rows.first(where: { $0.sequence.request == b.request.id && $0.tokens.count > 1 }),
                !preemptions.isEmpty, resumedRow == nil
            {
                resumedRow = row
            }
            step = following
        }
        #expect(!preemptions.isEmpty && preemptions.allSatisfy { $0 == b.request.id }, "only the newest request is preempted")
        #expect(finished == [a.request.id, b.request.id])
        #expect(tokens[a.request.id]?.count == 10 && tokens[b.request.id]?.count == 10)
        // Recomputation replays the prompt and every token the request had generated.
        if let row = resumedRow {
            #expect(row.position == 0)
            #expect(Array(row.tokens.suffix(row.tokens.count - 4)) == Array(tokens[b.request.id]!.prefix(row.tokens.count - 4)))
        } else {
            Issue.record("the preempted request was never recomputed")
        }
        #expect(m.usedSlots == 0 && m.runningCount == 0 && m.waitingCount == 0)
        #expect(m.preemptionCount == preemptions.count && m.snapshot.preemptions == preemptions.count)
    }

    @Test func testPreemptedRequestHoldsNoWaitingPlaceAndIsRetiredIfItsClientLeaves() {
        var m = Self.machine(capacity: 14, cap: 1)
        let a = T.admission(prompt: 4, maxNew: 10, ignoreEOS: true)
        let b = T.admission(prompt: 4, maxNew: 6, ignoreEOS: true)
        var step = T.steps(m.admit(a) + m.admit(b))[0]
        var preempted: [RequestID] = []
        while preempted.isEmpty {
            let actions = T.complete(step, on: &m)
            preempted = Self.preempted(actions)
            step = T.steps(actions)[0]
        }
        #expect(preempted == [b.request.id] && m.waitingCount == 1)
        let cancelled = m.cancel(b.request.id)
        #expect(T.released(cancelled) == 0)
        let retired = T.emitted(cancelled).compactMap { if case .retired(let id) = $0 { id } else { nil } }
        #expect(retired == [SequenceID(request: b.request.id, index: 0)], "Detokenize forgets the sequence")
        #expect(m.waitingCount == 0)
    }

    @Test func testStepResultWithWrongRowCountFailsItsRequestsAndFreesTheirSlots() {
        var m = T.machine()
        let step = T.steps(m.admit(T.admission(prompt: 5, maxNew: 10)))[0]
        let actions = m.stepCompleted(StepResult(number: step.number, outcomes: [], duration: .zero))
        guard case .failed(_, let message) = T.emitted(actions).first else {
            Issue.record("expected a failure entry, got \(actions)")
            return
        }
        #expect(message.contains("returned 0 rows for 1"))
        #expect(m.usedSlots == 0 && m.runningCount == 0 && !m.isStepInFlight)
    }

    @Test func testHugeTokenCountsAreRejectedWithoutOverflow() {
        var m = T.machine(capacity: 100)
        for maxNew in [Int.max, Int.max / 2, Int.max / 8 + 1] {
            let actions = m.admit(T.admission(prompt: 5, maxNew: maxNew, bestOf: 8))
            guard case .reject(_, .tooLong) = actions.first else {
                Issue.record("max_new_tokens \(maxNew) should be rejected, got \(actions)")
                continue
            }
        }
        #expect(PeakPrediction.peak([(held: .max, remaining: .max), (held: 1, remaining: .max)]) == .max)
    }
}
