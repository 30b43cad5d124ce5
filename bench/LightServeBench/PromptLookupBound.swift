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
}
