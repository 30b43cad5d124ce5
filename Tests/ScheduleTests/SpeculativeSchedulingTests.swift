import LightServeCore
import Testing

@testable import Schedule

/// The scheduler's side of speculative decoding with prompt lookup: what a drafting row carries,
/// and how the tokens of a verified draft end up in the output and the pool.
@Suite struct SpeculativeSchedulingTests {
    typealias Base = SchedulerStateMachineTests

    /// Drafts up to `maxTokens` whenever prompt lookup matches (a flat step cost pays for any length).
    static func machine(
        capacity: Int = 1000, batchMaxTokens: Int = 64, maxTokens: Int = 4, routerMaxNewTokenLength: Int? = nil
    ) -> SchedulerStateMachine {
        let speculation = SpeculativeDecoding(
            drafter: .promptLookup(PromptLookup()),
            lengths: DraftLengthPolicy(maxTokens: maxTokens, costs: StepCostProfile(rows: [1, 64], costs: [1, 1])))
        return SchedulerStateMachine(configuration: SchedulerConfiguration(
            kvCapacity: capacity, maxRunningSequences: 8, batchMaxTokens: batchMaxTokens, stopTokens: [Base.eos],
            routerMaxNewTokenLength: routerMaxNewTokenLength, speculation: speculation))
    }

    /// A prompt that repeats itself: after `… 10 11` and a first token 12, lookup proposes `13 14 10 11 …`.
    static let prompt: [Int32] = [10, 11, 12, 13, 14, 10, 11]

    static func admission(maxNew: Int) -> Admission {
        Base.admission(prompt: prompt.count, maxNew: maxNew, tokens: prompt)
    }

    /// Completes a drafting `step`'s single row: the first `accepted` drafted tokens stand and
    /// `next` follows them (none when `next` is nil).
    static func verify(
        _ step: Step, accepted: Int, next: Int32?, on machine: inout SchedulerStateMachine
    ) -> [SchedulerStateMachine.Action] {
        let row = step.rows[0]
        guard case .sample(var state) = row.output else { return [] }
        var tokens = row.tokens.dropFirst().prefix(accepted).map { SampledToken(token: $0, logprob: -0.1) }
        if let next { tokens.append(SampledToken(token: next, logprob: -1)) }
        state.generated += tokens.count
        return machine.stepCompleted(StepResult(
            number: step.number,
            outcomes: [.speculated(tokens: tokens, accepted: accepted, drafted: row.draftedCount, state: state)],
            duration: .zero))
    }

    static func tokens(_ entries: [TokenBatch.Entry]) -> [Int32] {
        entries.compactMap { if case .token(_, _, let id, _, _, _) = $0 { id } else { nil } }
    }

    /// Runs the prompt's prefill with first token 12 and returns the first decode step.
    static func firstDecode(_ machine: inout SchedulerStateMachine, maxNew: Int) -> Step? {
        guard let prefill = Base.steps(machine.admit(admission(maxNew: maxNew))).first else { return nil }
        return Base.steps(Base.complete(prefill, token: 12, on: &machine)).first
    }

    @Test func decodeRowCarriesThePendingTokenAndTheLookupDraftWithASlotEach() throws {
        var m = Self.machine()
        let step = try #require(Self.firstDecode(&m, maxNew: 20))
        let row = step.rows[0]
        #expect(row.tokens == [12, 13, 14, 10, 11])
        #expect(row.draft == .lookup && row.draftedCount == 4)
        #expect(row.position == 7 && row.slots.count == 12 && Set(row.slots).count == 12)
        #expect(step.tokenCount == 5)
        #expect(m.usedSlots == 12)
    }

    @Test func acceptedTokensAreEmittedInOrderAndRejectedSlotsReturnAtOnce() throws {
        var m = Self.machine()
        let step = try #require(Self.firstDecode(&m, maxNew: 20))
        let actions = Self.verify(step, accepted: 2, next: 99, on: &m)
        #expect(Self.tokens(Base.emitted(actions)) == [13, 14, 99])
        #expect(Base.finishes(Base.emitted(actions)) == [nil, nil, nil])
        // Prompt, 12 and the two accepted tokens keep their slots; 99 runs next, at position 10.
        let next = try #require(Base.steps(actions).first).rows[0]
        #expect(next.tokens.first == 99 && next.position == 10)
        #expect(Array(next.slots.prefix(10)) == Array(step.rows[0].slots.prefix(10)))
        #expect(m.snapshot.draftedTokens == 4 && m.snapshot.acceptedTokens == 2)
        #expect(m.usedSlots == 10 + 1 + next.draftedCount)
    }

    @Test func acceptedEndOfSequenceEndsTheSequenceAndDropsTheRest() throws {
        var m = Self.machine()
        let step = try #require(Self.firstDecode(&m, maxNew: 20))
        // The model accepts 13, then chooses end-of-sequence in place of 14: nothing after it.
        let actions = Self.verify(step, accepted: 1, next: Base.eos, on: &m)
        #expect(Self.tokens(Base.emitted(actions)) == [13, Base.eos])
        #expect(Base.finishes(Base.emitted(actions)) == [nil, .endToken])
        #expect(Base.steps(actions).isEmpty)
        #expect(m.usedSlots == 0 && m.runningCount == 0)
    }

    @Test func draftNeverReachesPastMaxNewTokensAndTheLimitEndsExactly() throws {
        var m = Self.machine()
        // 12 is the first of 3 new tokens: the draft may add at most one more before the last.
        let step = try #require(Self.firstDecode(&m, maxNew: 3))
        #expect(step.rows[0].tokens == [12, 13])
        let actions = Self.verify(step, accepted: 1, next: 55, on: &m)
        #expect(Self.tokens(Base.emitted(actions)) == [13, 55])
        #expect(Base.finishes(Base.emitted(actions)) == [nil, .length])
        #expect(m.usedSlots == 0 && m.runningCount == 0)
    }

    @Test func tokensPastTheLimitInOneResultAreDropped() throws {
        var m = Self.machine()
        let step = try #require(Self.firstDecode(&m, maxNew: 3))
        // A result longer than the sequence may grow (as if drafted past it) stops at the limit.
        guard case .sample(var state) = step.rows[0].output else { return }
        state.generated += 3
        let actions = m.stepCompleted(StepResult(
            number: step.number,
            outcomes: [.speculated(
                tokens: [13, 14, 10].map { SampledToken(token: $0, logprob: 0) }, accepted: 1, drafted: 1, state: state)],
            duration: .zero))
        #expect(Self.tokens(Base.emitted(actions)) == [13, 14])
        #expect(Base.finishes(Base.emitted(actions)) == [nil, .length])
    }

    @Test func cancelDuringADraftingStepEmitsNothingAndFreesEverySlot() throws {
        var m = Self.machine()
        let admission = Self.admission(maxNew: 20)
        let prefill = try #require(Base.steps(m.admit(admission)).first)
        let step = try #require(Base.steps(Base.complete(prefill, token: 12, on: &m)).first)
        #expect(step.rows[0].draftedCount == 4)
        _ = m.cancel(admission.request.id)
        let actions = Self.verify(step, accepted: 4, next: 99, on: &m)
        #expect(Self.tokens(Base.emitted(actions)).isEmpty)
        #expect(m.usedSlots == 0 && m.runningCount == 0)
    }

    /// A's decode row drafts in the step where B's prompt arrives: the draft takes only the
    /// slots B's prompt leaves, and none when the prompt needs them all.
    @Test(arguments: [(17, [12, 13, 14] as [Int32]), (19, [12])])
    func draftsTakeOnlyTheSlotsPromptChunksLeave(otherPrompt: Int, tokens: [Int32]) throws {
        // Admitted on a one-token estimate each, the two requests share 27 slots.
        var m = Self.machine(capacity: 27, routerMaxNewTokenLength: 1)
        let prefill = try #require(Base.steps(m.admit(Self.admission(maxNew: 20))).first)
        #expect(Base.steps(m.admit(Base.admission(prompt: otherPrompt, maxNew: 8))).isEmpty)
        let step = try #require(Base.steps(Base.complete(prefill, token: 12, on: &m)).first)
        #expect(step.rows.count == 2)
        #expect(step.rows[0].tokens == tokens)
        #expect(step.rows[1].tokens.count == otherPrompt)
    }

    @Test func speculationEndedReportsTheSequencesTotals() throws {
        var m = Self.machine()
        let step = try #require(Self.firstDecode(&m, maxNew: 20))
        let actions = Self.verify(step, accepted: 3, next: Base.eos, on: &m)
        // Reported with the next actions the machine returns (here: the next admission's).
        let later = m.admit(Base.admission(prompt: 3, maxNew: 1))
        let reports = (actions + later).compactMap { action -> (Int, Int)? in
            if case .speculationEnded(_, let drafted, let accepted) = action { (drafted, accepted) } else { nil }
        }
        #expect(reports.count == 1 && reports.first?.0 == 4 && reports.first?.1 == 3)
    }
}
