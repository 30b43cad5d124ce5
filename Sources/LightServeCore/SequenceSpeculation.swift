/// One sequence's speculative decoding between steps: its acceptance record and how far the
/// draft model has followed it. Plans each decode row's draft and takes in its verification; the
/// scheduler and `lightserve generate` share it, so both draft alike.
public struct SequenceSpeculation: Sendable, Equatable {
    public private(set) var acceptance = AcceptanceEstimate()
    /// Leading positions whose keys and values the draft model has computed.
    public private(set) var drafterKnown = 0

    public init() {}

    /// The draft for the decode row of a sequence whose tokens so far are `history` (prompt and
    /// output; the last, the row's token, sits at `history.count - 1`), drafting at most `limit`
    /// tokens among `decodingRows` decoding sequences. Returns the tokens to run after the row's
    /// (prompt lookup's proposal) and the row's ``Draft``, or nil not to draft this step.
    public mutating func plan(
        _ speculation: SpeculativeDecoding, history: [Int32], limit: Int, decodingRows: Int
    ) -> (tokens: [Int32], draft: Draft)? {
        let rate = acceptance.rate(prior: speculation.drafter.acceptancePrior)
        let length = min(speculation.lengths.length(acceptance: rate, decodingRows: decodingRows), limit)
        guard length > 0 else {
            acceptance.fade()
            return nil
        }
        switch speculation.drafter {
        case .promptLookup(let lookup):
            let proposal = lookup.propose(after: history, count: length)
            return proposal.isEmpty ? nil : (proposal, .lookup)
        case .draftModel:
            let position = history.count - 1
            let known = min(drafterKnown, position)
            return ([], .model(length: length, catchUp: Array(history[known..<position])))
        }
    }

    /// The row at `position` verified `draft`: `drafted` tokens proposed, the first `accepted`
    /// of them accepted.
    public mutating func record(_ draft: Draft, position: Int, drafted: Int, accepted: Int) {
        acceptance.record(drafted: drafted, accepted: accepted)
        if case .model = draft {
            // The draft model ran the row's token and its proposals but the last; of those, the
            // row's token and the accepted ones stand.
            drafterKnown = position + min(accepted + 1, drafted)
        }
    }

    /// The sequence's keys and values are gone (preempted, to be recomputed): the draft model
    /// starts over with it.
    public mutating func forgetDrafterState() {
        drafterKnown = 0
    }
}
