import LightServeCore
import Testing

@testable import Ingress

/// The streaming reasoning parser: `<think>` blocks split from the answer, however the output is
/// cut into deltas, and a reasoning model's tool calls read from what follows the block.
@Suite struct ReasoningParserTests {
    struct Example: Sendable, CustomTestStringConvertible {
        let label: String
        let startsInReasoning: Bool
        let output: String
        let reasoning: String
        let content: String
        var testDescription: String { label }
    }

    static let examples: [Example] = [
        Example(
            label: "opened by the prompt (DeepSeek-R1 distills)", startsInReasoning: true,
            output: "Okay, 2 + 2.\nThat is 4.\n</think>\n\nThe answer is **4**.",
            reasoning: "Okay, 2 + 2.\nThat is 4.\n", content: "\n\nThe answer is **4**."),
        Example(
            label: "opened by the model (Qwen3)", startsInReasoning: false,
            output: "<think>\nThe user greets me.\n</think>\n\nHello! How can I help?",
            reasoning: "\nThe user greets me.\n", content: "\n\nHello! How can I help?"),
        Example(
            label: "space before the tag", startsInReasoning: false,
            output: "\n <think>hm</think>ok", reasoning: "hm", content: "ok"),
        Example(
            label: "no reasoning block", startsInReasoning: false,
            output: "Tags such as <think> and </think> are text here.",
            reasoning: "", content: "Tags such as <think> and </think> are text here."),
        Example(
            label: "a tag's start that is not one", startsInReasoning: false,
            output: "<thin ice", reasoning: "", content: "<thin ice"),
        Example(
            label: "cut off while reasoning", startsInReasoning: true,
            output: "Let me think about </thi", reasoning: "Let me think about </thi", content: ""),
        Example(
            label: "empty block (thinking switched off)", startsInReasoning: false,
            output: "<think>\n\n</think>\n\nHi.", reasoning: "\n\n", content: "\n\nHi."),
    ]

    static func run(_ chunks: [String], startsInReasoning: Bool) -> (reasoning: String, content: String) {
        var parser = ReasoningParser(startsInReasoning: startsInReasoning)
        var (reasoning, content) = ("", "")
        for event in chunks.flatMap({ parser.feed($0) }) + parser.finish() {
            switch event {
            case .reasoning(let r): reasoning += r
            case .content(let c): content += c
            }
        }
        return (reasoning, content)
    }

    @Test(arguments: examples)
    func testWholeOutputSplitsIntoReasoningAndAnswer(_ e: Example) {
        let parsed = ReasoningParser.parse(e.output, startsInReasoning: e.startsInReasoning)
        #expect(parsed.reasoning == e.reasoning)
        #expect(parsed.content == e.content)
    }

    @Test(arguments: examples)
    func testEverySplitPointGivesTheSameResult(_ e: Example) {
        let scalars = Array(e.output.unicodeScalars)
        for cut in 0...scalars.count {
            let chunks = [String(String.UnicodeScalarView(scalars[..<cut])), String(String.UnicodeScalarView(scalars[cut...]))]
            let parsed = Self.run(chunks, startsInReasoning: e.startsInReasoning)
            #expect(parsed.reasoning == e.reasoning && parsed.content == e.content, "cut at \(cut)")
        }
        let parsed = Self.run(scalars.map { String($0) }, startsInReasoning: e.startsInReasoning)
        #expect(parsed.reasoning == e.reasoning && parsed.content == e.content, "one code point per delta")
    }

    @Test func testAPartialTagIsHeldBackUntilSettled() {
        var parser = ReasoningParser(startsInReasoning: true)
        #expect(parser.feed("so 4</th") == [.reasoning("so 4")])
        #expect(parser.feed("ink>It") == [.content("It")])
        #expect(parser.feed(" is 4.") == [.content(" is 4.")])
        #expect(parser.finish() == [])
    }

    @Test func testThePromptSaysWhetherOutputStartsInReasoning() {
        #expect(ReasoningTags.think.promptOpens("<｜User｜>Hi<｜Assistant｜><think>\n"))
        #expect(!ReasoningTags.think.promptOpens("<|im_start|>assistant\n"))
        #expect(!ReasoningTags.think.promptOpens("<|im_start|>assistant\n<think>\n\n</think>\n\n"))
    }

    @Test func testReasoningThenAToolCall() {
        let output = "The user wants the weather.\nI will call the tool.\n</think>\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"
        let parsing = OutputParsing(toolCalls: .hermes, toolNames: ["get_weather"], reasoning: .think)
        let scalars = Array(output.unicodeScalars)
        for cut in 0...scalars.count {
            var reader = OutputReader(parsing, startsInReasoning: true)
            var reading = reader.read(String(String.UnicodeScalarView(scalars[..<cut])))
            reading.append(reader.read(String(String.UnicodeScalarView(scalars[cut...]))))
            reading.append(reader.finish())
            let answer = reading.parsedToolCalls
            #expect(reading.reasoning == "The user wants the weather.\nI will call the tool.\n", "cut at \(cut)")
            #expect(answer.content == "", "cut at \(cut)")
            #expect(answer.calls.map(\.name) == ["get_weather"] && answer.calls.map(\.arguments) == [#"{"city": "Paris"}"#], "cut at \(cut)")
        }
    }

    @Test func testWithoutAnOpenBlockTheModelMayOpenOneItself() {
        let parsing = OutputParsing(reasoning: .think)
        let thought = OutputReader.read("<think>\nShort.\n</think>\n\nYes.", as: parsing)
        #expect(thought.reasoning == "\nShort.\n" && thought.content == "\n\nYes.")
        let plain = OutputReader.read("Yes, <think> is a tag.", as: parsing)
        #expect(plain.reasoning == "" && plain.content == "Yes, <think> is a tag.")
    }
}
