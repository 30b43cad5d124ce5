import LightServeCore

/// The most prompt lookup could gain on given outputs under a machine's step costs: the speed-up
/// of a drafter that proposes lookup's continuation cut to exactly the part the model accepts,
/// so that no step pays for a rejected row and every step takes all that lookup could give.
///
/// A real length policy does not know in advance where a continuation stops matching, so it
/// stays below this; the bound shows how much of a gap is the policy's and how much is what
/// verifying rows costs (a target above the bound cannot be met by drafting better, only by
/// cheaper steps).
struct PromptLookupBound {
    var lookup: PromptLookup
    var costs: StepCostProfile
    /// The longest draft a step may verify (the server's `--draft-max-tokens`).
    var maxDraft: Int

    /// Plain decoding's cost over the bound's, for `outputs[i]` generated after `prompts[i]`: the
    /// first output token comes from the prompt's pass, each later one from a decode step (one
    /// row, cost 1 plain), as the generator counts them.
    func speedup(prompts: [[Int32]], outputs: [[Int32]]) -> Double {
        var tokens = 0
        var cost = 0.0
        for (prompt, output) in zip(prompts, outputs) where output.count > 1 {
            var history = prompt + [output[0]]
            var next = 1
            while next < output.count {
                let remaining = output.count - next
                let proposal = lookup.propose(after: history, count: min(maxDraft, remaining - 1))
                var accepted = 0
                while accepted < proposal.count && proposal[accepted] == output[next + accepted] { accepted += 1 }
                let gained = accepted + 1
                history += output[next..<next + gained]
                next += gained
                tokens += gained
                cost += costs.cost(rows: 1 + accepted)
            }
        }
        return cost > 0 ? Double(tokens) / cost : 1
    }

    /// What prompt lookup with the server's length policy (``SequenceSpeculation``'s own plan and
    /// record, as `lightserve generate` and the scheduler run them) gains on the same outputs
    /// when every step costs exactly what ``costs`` says. Set beside ``speedup(prompts:outputs:)``
    /// and the run's measured speed-up, it splits a shortfall into the policy's part (the bound
    /// over this) and the step costs' (this over the measurement: steps costing more in the run
    /// than at start).
    func policySpeedup(prompts: [[Int32]], outputs: [[Int32]], maxNewTokens: Int) -> Double {
        let speculation = SpeculativeDecoding(
            drafter: .promptLookup(lookup), lengths: DraftLengthPolicy(maxTokens: maxDraft, costs: costs))
        var tokens = 0
        var cost = 0.0
        for (prompt, output) in zip(prompts, outputs) where output.count > 1 {
            var sequence = SequenceSpeculation()
            var history = prompt + [output[0]]
            var next = 1
            while next < output.count {
                var gained = 1
                var rows = 1
                if let (proposal, draft) = sequence.plan(
                    speculation, history: history, limit: maxNewTokens - next - 1, decodingRows: 1)
                {
                    var accepted = 0
                    while accepted < proposal.count && next + accepted < output.count
                        && proposal[accepted] == output[next + accepted]
                    {
                        accepted += 1
                    }
                    sequence.record(draft, position: history.count - 1, drafted: proposal.count, accepted: accepted)
                    gained = min(accepted + 1, output.count - next)
                    rows += proposal.count
                }
                history += output[next..<next + gained]
                next += gained
                tokens += gained
                cost += costs.cost(rows: rows)
            }
        }
        return cost > 0 ? Double(tokens) / cost : 1
    }
}
