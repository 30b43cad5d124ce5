import LightServeCore
import Testing

@testable import Schedule

@Suite struct SchedulerStateMachineTests {
    static let eos: Int32 = 2

    static func machine(
        capacity: Int = 1000, maxRunning: Int = 8, batchMaxTokens: Int = 64, prefillStepRows: Int? = nil
    ) -> SchedulerStateMachine {
        SchedulerStateMachine(configuration: SchedulerConfiguration(
            kvCapacity: capacity, maxRunningSequences: maxRunning, batchMaxTokens: batchMaxTokens,
            prefillStepRows: prefillStepRows, stopTokens: [eos]))
    }

    /// A request whose prompt shares no prefix with any other (ids start at its own offset),
    /// unless `tokens` are given.
    static func admission(
        prompt: Int, maxNew: Int, kind: RequestKind = .generate, bestOf: Int = 1, ignoreEOS: Bool = false,
        tokens: [Int32]? = nil
    ) -> Admission {
        var options = GenerationOptions(maxNewTokens: maxNew, bestOf: bestOf, returnCount: bestOf)
        options.sampling.ignoreEOS = ignoreEOS
        let request = GenerationRequest(
            kind: kind, input: .tokens([]), options: options, events: RequestEventSink.makeStream().sink)
        let first = Int32(truncatingIfNeeded: request.id.value % 1000) * 1000
        return Admission(request: request, promptIDs: tokens ?? (0..<Int32(prompt)).map { first + $0 })
    }

    static func steps(_ actions: [SchedulerStateMachine.Action]) -> [Step] {
        actions.compactMap { if case .runStep(let s) = $0 { s } else { nil } }
    }

    static func emitted(_ actions: [SchedulerStateMachine.Action]) -> [TokenBatch.Entry] {
        actions.flatMap { action -> [TokenBatch.Entry] in
            if case .emit(let batch) = action { return batch.entries }
            return []
        }
    }

    static func released(_ actions: [SchedulerStateMachine.Action]) -> Int {
        actions.reduce(0) { if case .releaseWaitingPlaces(let n) = $1 { $0 + n } else { $0 } }
    }

    /// Completes `step`, every sampling row producing `token`.
    static func complete(_ step: Step, token: Int32 = 7, on machine: inout SchedulerStateMachine) -> [SchedulerStateMachine.Action] {
        let outcomes = step.rows.map { row -> StepResult.Outcome in
            switch row.output {
            case .none: return .none
            case .score: return .scored(0.5)
            case .sample(var state):
                state.generated += 1
                return .sampled(token: token, logprob: -0.1, alternatives: [], state: state)
            }
        }
        return machine.stepCompleted(StepResult(number: step.number, outcomes: outcomes, duration: .zero))
    }

    static func finishes(_ entries: [TokenBatch.Entry]) -> [SequenceEnd?] {
        entries.compactMap { if case .token(_, _, _, _, _, let end) = $0 { end } else { nil } }
    }

    @Test func testPeakPredictionFollowsLightLLMsFormula() {
        // Sorted by remaining: (4, 10) then (10, 5). Peaks: 10·1 + 4 = 14 and 5·2 + 14 = 24.
        #expect(PeakPrediction.peak([(held: 10, remaining: 5), (held: 4, remaining: 10)]) == 24)
        #expect(PeakPrediction.peak([(held: 100, remaining: 0)]) == 100)
        #expect(PeakPrediction.peak([]) == 0)
    }

    @Test func testRequestIsAcceptedAndPrefilledInOneStep() {
        var m = Self.machine()
        let actions = m.admit(Self.admission(prompt: 5, maxNew: 3))
        guard case .accept(_, let promptTokens, _) = actions.first else {
            Issue.record("first action should accept, got \(actions)")
            return
        }
        #expect(promptTokens == 5)
        #expect(Self.released(actions) == 1)
        let step = Self.steps(actions)
        #expect(step.count == 1 && step[0].rows.count == 1)
        #expect(step[0].rows[0].tokens.count == 5 && step[0].rows[0].position == 0)
        #expect(Set(step[0].rows[0].slots).count == 5)
        #expect(m.usedSlots == 5)
    }

    @Test func testDecodeRunsOneRowPerStepUntilLengthThenSlotsReturn() {
        var m = Self.machine()
        var step = Self.steps(m.admit(Self.admission(prompt: 5, maxNew: 3)))[0]
        var finishes: [SequenceEnd?] = []
        for expectedPosition in [5, 6] {
            let actions = Self.complete(step, on: &m)
            finishes += Self.finishes(Self.emitted(actions))
            step = Self.steps(actions)[0]
            #expect(step.rows[0].tokens == [7] && step.rows[0].position == expectedPosition)
            #expect(step.rows[0].slots.count == expectedPosition + 1)
        }
        let last = Self.complete(step, on: &m)
        finishes += Self.finishes(Self.emitted(last))
        #expect(finishes == [nil, nil, .length])
        #expect(Self.steps(last).isEmpty)
        #expect(m.usedSlots == 0 && m.runningCount == 0)
    }

    @Test func testStopTokenFinishesSequenceUnlessEOSIgnored() {
        var m = Self.machine()
        let step = Self.steps(m.admit(Self.admission(prompt: 3, maxNew: 10)))[0]
        let actions = Self.complete(step, token: Self.eos, on: &m)
        #expect(Self.finishes(Self.emitted(actions)) == [.endToken])
        #expect(m.usedSlots == 0)

        var ignoring = Self.machine()
        let first = Self.steps(ignoring.admit(Self.admission(prompt: 3, maxNew: 10, ignoreEOS: true)))[0]
        let next = Self.complete(first, token: Self.eos, on: &ignoring)
        #expect(Self.finishes(Self.emitted(next)) == [nil])
        #expect(Self.steps(next).first?.rows.first?.tokens == [Self.eos])
    }

    @Test func testWaitingRequestJoinsBetweenDecodeSteps() {
        var m = Self.machine()
        let first = Self.steps(m.admit(Self.admission(prompt: 4, maxNew: 8)))[0]
        // B arrives while A's step runs: accepted, but no step until A's completes.
        let arrival = m.admit(Self.admission(prompt: 6, maxNew: 8))
        #expect(Self.steps(arrival).isEmpty)
        #expect(m.waitingCount == 1)
        let next = Self.steps(Self.complete(first, on: &m))[0]
        #expect(next.rows.map(\.tokens.count) == [1, 6])
        #expect(m.waitingCount == 0 && m.runningCount == 2)
    }

    @Test func testAdmissionWaitsForPredictedPeakToFit() {
        // A: 10 + 10 peaks at 20 slots; B needs 12 more. Capacity 25: B waits for A.
        var m = Self.machine(capacity: 25)
        var step = Self.steps(m.admit(Self.admission(prompt: 10, maxNew: 10)))[0]
        _ = m.admit(Self.admission(prompt: 6, maxNew: 6))
        for _ in 0..<9 {
            let actions = Self.complete(step, on: &m)
            step = Self.steps(actions)[0]
            #expect(step.rows.count == 1, "B must not join while A's peak leaves no room")
        }
        let actions = Self.complete(step, on: &m)
        #expect(Self.finishes(Self.emitted(actions)) == [.length])
        #expect(Self.steps(actions)[0].rows.map(\.tokens.count) == [6])
    }

    @Test func testAdmissionIsFirstInFirstOut() {
        var m = Self.machine(capacity: 40)
        let step = Self.steps(m.admit(Self.admission(prompt: 10, maxNew: 10)))[0]
        _ = m.admit(Self.admission(prompt: 15, maxNew: 10))  // does not fit beside A
        _ = m.admit(Self.admission(prompt: 2, maxNew: 2))  // would fit, but must not overtake
        let next = Self.steps(Self.complete(step, on: &m))[0]
        #expect(next.rows.count == 1)
        #expect(m.waitingCount == 2)
    }

    @Test func testRunningSequencesAreCapped() {
        var m = Self.machine(maxRunning: 2)
        let step = Self.steps(m.admit(Self.admission(prompt: 2, maxNew: 5)))[0]
        _ = m.admit(Self.admission(prompt: 2, maxNew: 5))
        _ = m.admit(Self.admission(prompt: 2, maxNew: 5))
        _ = Self.complete(step, on: &m)
        #expect(m.runningCount == 2 && m.waitingCount == 1)
    }

    @Test func testLongPromptIsChunkedWithinTheStepBudget() {
        var m = Self.machine(batchMaxTokens: 8)
        var step = Self.steps(m.admit(Self.admission(prompt: 20, maxNew: 2)))[0]
        var chunks: [(Int, Int)] = []
        var outputs: [Bool] = []
        while true {
            let row = step.rows[0]
            chunks.append((row.position, row.tokens.count))
            if case .sample = row.output { outputs.append(true) } else { outputs.append(false) }
            guard row.position + row.tokens.count < 20 else { break }
            step = Self.steps(Self.complete(step, on: &m))[0]
        }
        #expect(chunks.map(\.0) == [0, 8, 16] && chunks.map(\.1) == [8, 8, 4])
        #expect(outputs == [false, false, true])
    }

    @Test func testDecodeRowsShareTheBudgetWithPromptChunks() {
        var m = Self.machine(batchMaxTokens: 8)
        let first = Self.steps(m.admit(Self.admission(prompt: 3, maxNew: 20)))[0]
        _ = m.admit(Self.admission(prompt: 30, maxNew: 2))
        let next = Self.steps(Self.complete(first, on: &m))[0]
        #expect(next.rows.map(\.tokens.count) == [1, 7])
    }

    @Test func testPromptsArrivingTogetherTakeAStepEachPastThePrefillTarget() {
        var m = Self.machine(batchMaxTokens: 512, prefillStepRows: 64)
        let first = Self.steps(m.admit(Self.admission(prompt: 10, maxNew: 20)))[0]
        for _ in 0..<3 { _ = m.admit(Self.admission(prompt: 100, maxNew: 2)) }
        let second = Self.steps(Self.complete(first, on: &m))[0]
        #expect(second.rows.map(\.tokens.count) == [1, 100])
        let third = Self.steps(Self.complete(second, on: &m))[0]
        #expect(third.rows.map(\.tokens.count) == [1, 1, 100])

        var together = Self.machine(batchMaxTokens: 512)
        let start = Self.steps(together.admit(Self.admission(prompt: 10, maxNew: 20)))[0]
        for _ in 0..<3 { _ = together.admit(Self.admission(prompt: 100, maxNew: 2)) }
        #expect(Self.steps(Self.complete(start, on: &together))[0].rows.map(\.tokens.count) == [1, 100, 100, 100])
    }

    @Test func testShortPromptsJoinAStepUntilItReachesThePrefillTarget() {
        var m = Self.machine(batchMaxTokens: 512, prefillStepRows: 64)
        let first = Self.steps(m.admit(Self.admission(prompt: 10, maxNew: 20)))[0]
        for _ in 0..<5 { _ = m.admit(Self.admission(prompt: 20, maxNew: 2)) }
        #expect(Self.steps(Self.complete(first, on: &m))[0].rows.map(\.tokens.count) == [1, 20, 20, 20, 20])
    }

    @Test func testALongPromptAloneStillFillsTheStepBudget() {
        var m = Self.machine(batchMaxTokens: 512, prefillStepRows: 64)
        let first = Self.steps(m.admit(Self.admission(prompt: 600, maxNew: 2)))[0]
        #expect(first.rows.map(\.tokens.count) == [512])
    }

    @Test func testDecodeRowsPastThePrefillTargetStillLetOnePromptIn() {
        var m = Self.machine(maxRunning: 16, batchMaxTokens: 64, prefillStepRows: 4)
        var step = Self.steps(m.admit(Self.admission(prompt: 1, maxNew: 50)))[0]
        for _ in 0..<5 { _ = m.admit(Self.admission(prompt: 1, maxNew: 50)) }
        var shapes: [[Int]] = []
        for _ in 0..<3 {
            step = Self.steps(Self.complete(step, on: &m))[0]
            shapes.append(step.rows.map(\.tokens.count))
        }
        // Three prompts join the first decode row up to 4 rows; then one a step, past the target.
        #expect(shapes == [[1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]])
    }

    @Test func testPromptThatCanNeverFitIsRejected() {
        var m = Self.machine(capacity: 50)
        let actions = m.admit(Self.admission(prompt: 45, maxNew: 10))
        guard case .reject(_, .tooLong(let message)) = actions.first else {
            Issue.record("expected a rejection, got \(actions)")
            return
        }
        #expect(message.contains("55 KV slots"))
        #expect(Self.released(actions) == 1)
        #expect(m.waitingCount == 0)
    }

    @Test func testCancelWaitingRequestReleasesItsPlace() {
        var m = Self.machine(capacity: 30)
        _ = m.admit(Self.admission(prompt: 10, maxNew: 10))
        let waiting = Self.admission(prompt: 10, maxNew: 10)
        _ = m.admit(waiting)
        #expect(m.waitingCount == 1)
        #expect(Self.released(m.cancel(waiting.request.id)) == 1)
        #expect(m.waitingCount == 0)
    }

    @Test func testCancelDuringStepFreesSlotsWhenTheStepReturns() {
        var m = Self.machine()
        let admission = Self.admission(prompt: 5, maxNew: 10)
        let step = Self.steps(m.admit(admission))[0]
        #expect(Self.steps(m.cancel(admission.request.id)).isEmpty)
        #expect(m.usedSlots == 5, "the running step still uses the slots")
        let after = Self.complete(step, on: &m)
        #expect(Self.finishes(Self.emitted(after)).isEmpty, "no tokens for a cancelled request")
        #expect(m.usedSlots == 0 && m.runningCount == 0)
        #expect(Self.steps(after).isEmpty)
    }

    @Test func testStopSequenceRetiresTheSequence() {
        var m = Self.machine()
        let admission = Self.admission(prompt: 5, maxNew: 10)
        let step = Self.steps(m.admit(admission))[0]
        let next = Self.steps(Self.complete(step, on: &m))[0]
        let stop = m.stopSequence(SequenceID(request: admission.request.id, index: 0))
        #expect(Self.emitted(stop).isEmpty, "retired only once its running step returns")
        let after = Self.complete(next, on: &m)
        let entries = Self.emitted(after)
        #expect(entries.count == 1)
        if case .retired(let id) = entries.first {
            #expect(id.request == admission.request.id)
        } else {
            Issue.record("expected a retired entry, got \(entries)")
        }
        #expect(m.usedSlots == 0)
    }

    @Test func testScoreRequestRunsPrefillOnlyAndEmitsTheScore() {
        var m = Self.machine()
        let step = Self.steps(m.admit(Self.admission(prompt: 6, maxNew: 0, kind: .score)))[0]
        guard case .score = step.rows[0].output else {
            Issue.record("a score request's last chunk must ask for the score")
            return
        }
        let entries = Self.emitted(Self.complete(step, on: &m))
        guard case .score(_, let value, let promptTokens) = entries.first else {
            Issue.record("expected a score entry, got \(entries)")
            return
        }
        #expect(value == 0.5 && promptTokens == 6)
        #expect(m.usedSlots == 0)
    }

    @Test func testBestOfRunsSeveralSequencesWithDistinctSeeds() {
        var m = Self.machine()
        var options = GenerationOptions(maxNewTokens: 4, bestOf: 3, returnCount: 2)
        options.sampling = SamplingParameters(doSample: true, seed: 9)
        let request = GenerationRequest(input: .tokens([]), options: options, events: RequestEventSink.makeStream().sink)
        let step = Self.steps(m.admit(Admission(request: request, promptIDs: [1, 2, 3])))[0]
        #expect(step.rows.map(\.sequence.index) == [0, 1, 2])
        let seeds = step.rows.compactMap { row -> UInt64? in
            if case .sample(let state) = row.output { state.randomState } else { nil }
        }
        #expect(Set(seeds).count == 3)
    }

    @Test func testSnapshotReportsHeldSlotsPeakAndWaitingDemand() {
        var m = Self.machine(capacity: 30)
        _ = m.admit(Self.admission(prompt: 10, maxNew: 10))
        _ = m.admit(Self.admission(prompt: 12, maxNew: 8))
        let s = m.snapshot
        #expect(s.heldSlots == 10)
        #expect(s.predictedPeak == 20)
        #expect(s.waitingDemand == 20 && s.waitingRequests == 1)
        #expect(s.runningSequences == 1)
    }

    @Test func testStepFailureFailsItsRequestsAndFreesTheirSlots() {
        var m = Self.machine()
        let step = Self.steps(m.admit(Self.admission(prompt: 5, maxNew: 10)))[0]
        let actions = m.stepFailed(step.number, message: "boom")
        guard case .failed(_, let message) = Self.emitted(actions).first else {
            Issue.record("expected a failure entry, got \(actions)")
            return
        }
        #expect(message == "boom")
        #expect(m.usedSlots == 0 && m.runningCount == 0)
    }
}
