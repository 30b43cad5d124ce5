import ArgumentParser
import Execute
import Foundation
import LightServeCore
import Tokenize

/// Single-stream greedy decode with and without speculative decoding on a fixed set of code
/// prompts of two kinds: rewrites (the answer repeats most of the prompt: prompt lookup's case)
/// and open questions (little to look up). Each prompt runs without speculation, with prompt
/// lookup and, given `--draft-model`, with the draft model, in the same run; the speculative
/// outputs must be the plain ones token for token (the run fails otherwise). One JSON line per
/// prompt kind and mode: decode tok/s summed over the kind's prompts, the ratio to plain
/// decoding, the acceptance rate, and of the decode time the draft model's part (with the tokens
/// it ran to catch up, and its time in each prompt's first drafting step, whose catch-up is the
/// prompt); the model's step cost by rows verified as measured during the run, beside the
/// start-up curve; and for prompt lookup the bound and the policy's replay under that curve
/// (``PromptLookupBound``).
struct SpeculativeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speculative", abstract: "Single-stream decode tok/s with prompt lookup and a draft model against none.")

    @OptionGroup var model: BenchmarkModel

    @Option(name: .long, help: "Draft model (a GGUF file with the model's vocabulary).")
    var draftModel: String?

    @Option(name: .long, help: "The lowest token ids the draft model's head computes (and the control tokens); 0 for all.")
    var draftVocabulary = SpeculativeDecoding.defaultDraftVocabulary

    @Option(name: .long, help: "Tokens to generate per prompt (fewer when the answer ends).")
    var maxNewTokens = 160

    @Option(name: .long, help: "The most tokens one step drafts.")
    var draftMaxTokens = 16

    @Flag(name: .long, help: "The draft model drafts --draft-max-tokens every step instead of adapting (to measure its acceptance where the adaptive length would not draft).")
    var draftFixed = false

    @Option(name: .long, help: "Rounds over the prompts, the modes taking turns on each prompt.")
    var rounds = 2

    @Flag(name: .long, help: "Print the prompts (kind and chat-formatted text, one JSON line each) and exit: bench/speculative sends the same ones to llama-server.")
    var printPrompts = false

    static let rewrites = [
        """
        Rewrite this Python function so that it takes the separator as a parameter instead of always using a comma. Reply with the code only.

        def join_names(people):
            names = []
            for person in people:
                if person.get("active"):
                    names.append(person["first"] + " " + person["last"])
            names.sort()
            return ", ".join(names)
        """,
        """
        Rename the variable `total` to `sum_of_squares` in this function and reply with the whole function only.

        def squares(values):
            total = 0
            for value in values:
                if value is None:
                    continue
                total += value * value
            print("computed", total)
            return total
        """,
        """
        Add a docstring to this JavaScript function and reply with the whole function only.

        function parseQuery(query) {
          const result = {};
          for (const part of query.split("&")) {
            const [key, value] = part.split("=");
            result[decodeURIComponent(key)] = decodeURIComponent(value || "");
          }
          return result;
        }
        """,
    ]

    static let questions = [
        "Explain the difference between a process and a thread.",
        "Write a Python function that checks whether a string is a palindrome.",
        "What are the advantages of using a hash map over a sorted array?",
    ]

    enum Mode: String { case off, ngram, draft }

    /// Every prompt with its kind, as the model's chat template (Qwen2.5's) frames a user turn.
    static var framedPrompts: [(kind: String, text: String)] {
        (rewrites.map { ("rewrite", $0) } + questions.map { ("question", $0) }).map {
            ($0.0, "<|im_start|>user\n\($0.1)<|im_end|>\n<|im_start|>assistant\n")
        }
    }

    func run() throws {
        if printPrompts {
            for prompt in Self.framedPrompts {
                let line = try JSONSerialization.data(withJSONObject: ["kind": prompt.kind, "text": prompt.text], options: [.sortedKeys])
                print(String(decoding: line, as: UTF8.self))
            }
            return
        }
        let llama = try LanguageModel(path: model.path)
        let draft = try draftModel.map { try LanguageModel(path: $0) }
        let tokenizer = try Tokenizer(gguf: llama.file)
        let framed = Self.framedPrompts
        let prompts = framed.map { tokenizer.encode($0.text) }
        let generator = try Generator(
            model: llama, draftModel: draft, draftVocabulary: SpeculativeDecoding.draftHeadVocabulary(draftVocabulary),
            capacity: max(256, (prompts.map(\.count).max() ?? 0) + maxNewTokens), threads: model.threads)
        let costs = try generator.executor.measureStepCosts(upTo: draftMaxTokens + 1)
        _ = try generator.generate(prompt: prompts[0], maxNewTokens: 4)  // warm-up
        let stops = tokenizer.vocabulary.stopIDs
        // Prompt lookup's drafts cost nothing to make: only the draft model's tokens are charged.
        var lookupCosts = costs
        lookupCosts.draftTokenCost = 0
        var modes: [(Mode, SpeculativeDecoding?)] = [
            (.off, nil),
            (.ngram, SpeculativeDecoding(
                drafter: .promptLookup(PromptLookup()), lengths: DraftLengthPolicy(maxTokens: draftMaxTokens, costs: lookupCosts))),
        ]
        if draft != nil {
            modes.append((.draft, SpeculativeDecoding(
                drafter: .draftModel,
                lengths: draftFixed ? .fixed(draftMaxTokens) : DraftLengthPolicy(maxTokens: draftMaxTokens, costs: costs))))
        }

        struct Totals {
            var tokens = 0, seconds = 0.0, drafted = 0, accepted = 0, steps = 0
            /// The draft model's seconds, its catch-up tokens, and its seconds in first drafting steps.
            var draftSeconds = 0.0, catchUp = 0, draftFirstSteps = 0.0
            /// The model's step times by the rows they verified.
            var stepSeconds: [Int: [Double]] = [:]
        }
        // Modes take turns on each prompt, round after round, so that a slow spell of this shared
        // machine lands on every mode alike (run one mode after another, plain decoding read 17%
        // apart between modes that drafted nothing).
        var plainOutputs: [Int: [Int32]] = [:]
        var totals: [String: Totals] = [:]
        for _ in 0..<rounds {
            for (index, prompt) in prompts.enumerated() {
                for (mode, speculation) in modes {
                    generator.speculation = speculation
                    let result = try generator.generate(prompt: prompt, maxNewTokens: maxNewTokens, stopTokens: stops)
                    if mode == .off {
                        plainOutputs[index] = result.ids
                    } else if result.ids != plainOutputs[index] {
                        throw ValidationError("prompt \(index): the \(mode.rawValue) output differs from the plain one")
                    }
                    let kind = framed[index].kind
                    var t = totals["\(kind) \(mode.rawValue)", default: Totals()]
                    t.tokens += max(result.ids.count - 1, 0)
                    t.seconds += result.decodeSeconds
                    t.drafted += result.draftedTokens
                    t.accepted += result.acceptedTokens
                    t.steps += result.decodeSteps
                    t.draftSeconds += result.draftSeconds
                    t.catchUp += result.draftCatchUpTokens
                    t.draftFirstSteps += result.draftFirstStepSeconds
                    for (rows, seconds) in result.stepTimes { t.stepSeconds[rows, default: []].append(seconds) }
                    totals["\(kind) \(mode.rawValue)"] = t
                }
            }
        }
        // What steps cost in the run, against the start-up curve: per row count verified (seen at
        // least three times), the median step over the median one-row step of plain decoding on
        // the same prompts (the rewrites' longer contexts make their one-row steps slower).
        func liveCosts(_ t: Totals, plain: Totals) -> String {
            guard let ones = plain.stepSeconds[1], !ones.isEmpty else { return "" }
            let plainStep = median(ones)
            return t.stepSeconds.sorted { $0.key < $1.key }.filter { $0.value.count >= 3 }.map { rows, seconds in
                "\(rows): \(round3(median(seconds) / plainStep)) (\(seconds.count))"
            }.joined(separator: ", ")
        }
        for kind in ["rewrite", "question"] {
            let indices = framed.indices.filter { framed[$0].kind == kind }
            let lookupBound = PromptLookupBound(lookup: PromptLookup(), costs: lookupCosts, maxDraft: draftMaxTokens)
            let (kindPrompts, kindOutputs) = (indices.map { prompts[$0] }, indices.map { plainOutputs[$0] ?? [] })
            let bound = lookupBound.speedup(prompts: kindPrompts, outputs: kindOutputs)
            let replay = lookupBound.policySpeedup(prompts: kindPrompts, outputs: kindOutputs, maxNewTokens: maxNewTokens)
            let plain = totals["\(kind) off"] ?? Totals()
            let plainRate = plain.seconds > 0 ? Double(plain.tokens) / plain.seconds : 0
            for (mode, _) in modes {
                let t = totals["\(kind) \(mode.rawValue)"] ?? Totals()
                let rate = t.seconds > 0 ? Double(t.tokens) / t.seconds : 0
                try printJSON([
                    "benchmark": "speculative", "model": URL(fileURLWithPath: try model.path).lastPathComponent,
                    "draft_model": draftModel.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "",
                    "draft_vocabulary": draftVocabulary, "draft_fixed": draftFixed,
                    "threads": model.threads, "prompts": kind, "speculate": mode.rawValue,
                    "decode_tokens": t.tokens, "decode_steps": t.steps, "decode_tok_s": round3(rate),
                    "speedup": round3(plainRate > 0 ? rate / plainRate : 0),
                    "draft_tokens": t.drafted, "accepted_tokens": t.accepted,
                    "acceptance": round3(t.drafted > 0 ? Double(t.accepted) / Double(t.drafted) : 0),
                    "decode_seconds": round3(t.seconds), "draft_model_seconds": round3(t.draftSeconds),
                    "draft_catch_up_tokens": t.catchUp, "draft_model_first_step_seconds": round3(t.draftFirstSteps),
                    "step_cost_by_rows": zip(costs.rows, costs.costs).map { "\($0): \(round3($1))" }.joined(separator: ", "),
                    "live_step_cost_by_rows": liveCosts(t, plain: plain),
                    "draft_token_cost": round3(costs.draftTokenCost),
                ].merging(mode == .ngram ? ["lookup_bound_speedup": round3(bound), "lookup_policy_replay_speedup": round3(replay)] : [:]) { $1 })
            }
        }
    }
}
