import Testing

@testable import Ingress

/// The streaming tool-call parser: what it makes of realistic outputs in each format, and that
/// cutting the output into deltas anywhere never changes that.
@Suite struct ToolCallParserTests {
    /// Fixed ids, so runs compare equal.
    static let ids: @Sendable (Int) -> String = { "call_\($0)" }

    struct Example: Sendable, CustomTestStringConvertible {
        let label: String
        let format: ToolCallFormat
        let output: String
        let content: String
        let calls: [ToolCall]
        /// The functions the request offered (nil: any name is a call).
        var toolNames: Set<String>? = nil
        var testDescription: String { "\(format) \(label)" }
    }

    static func call(_ index: Int, _ name: String, _ arguments: String) -> ToolCall {
        ToolCall(id: "call_\(index)", name: name, arguments: arguments)
    }

    static let examples: [Example] = [
        Example(
            label: "one call", format: .hermes,
            output: "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}\n</tool_call>",
            content: "", calls: [call(0, "get_weather", #"{"city": "Paris", "unit": "celsius"}"#)]),
        Example(
            label: "text before a call", format: .hermes,
            output: "Let me check the weather.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
            content: "Let me check the weather.", calls: [call(0, "get_weather", #"{"city": "Paris"}"#)]),
        Example(
            label: "two calls", format: .hermes,
            output: "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3.5}}\n</tool_call>",
            content: "", calls: [call(0, "get_weather", #"{"city": "Paris"}"#), call(1, "add", #"{"a": 2, "b": 3.5}"#)]),
        Example(
            label: "markup and brackets inside argument strings", format: .hermes,
            output: "<tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": \"a \\\"quoted\\\" } ] { [ <tool_call> </tool_call> ü 🇫🇷\", \"n\": [1, {\"x\": null}]}}\n</tool_call>",
            content: "",
            calls: [call(0, "search", #"{"q": "a \"quoted\" } ] { [ <tool_call> </tool_call> ü 🇫🇷", "n": [1, {"x": null}]}"#)]),
        Example(
            label: "arguments before the name", format: .hermes,
            output: "<tool_call>{\"arguments\": {\"path\": \"/tmp\"}, \"name\": \"list_files\"}</tool_call>",
            content: "", calls: [call(0, "list_files", #"{"path": "/tmp"}"#)]),
        Example(
            label: "no arguments", format: .hermes,
            output: "<tool_call>\n{\"name\": \"now\"}\n</tool_call>", content: "", calls: [call(0, "now", "{}")]),
        Example(
            label: "missing outer brace", format: .hermes,
            output: "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1}\n</tool_call>\nDone.",
            content: "Done.", calls: [call(0, "add", #"{"a": 1}"#)]),
        Example(
            label: "malformed call JSON", format: .hermes,
            output: "Sure.\n<tool_call>\n{\"name\": get_weather, \"arguments\": {}}\n</tool_call>",
            content: "Sure.\n<tool_call>\n{\"name\": get_weather, \"arguments\": {}}\n</tool_call>", calls: []),
        Example(
            label: "not JSON at all", format: .hermes,
            output: "<tool_call>I cannot call tools.</tool_call>",
            content: "<tool_call>I cannot call tools.</tool_call>", calls: []),
        Example(
            label: "cut off before the name", format: .hermes,
            output: "Checking.\n<tool_call>\n{\"name\": \"get_wea",
            content: "Checking.\n<tool_call>\n{\"name\": \"get_wea", calls: []),
        Example(
            label: "cut off in the arguments", format: .hermes,
            output: "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par",
            content: "", calls: [call(0, "get_weather", #"{"city": "Par"#)]),
        Example(
            label: "plain answer", format: .hermes,
            output: "The capital of France is Paris.\n", content: "The capital of France is Paris.\n", calls: []),
        Example(
            label: "the start of a trigger that is not one", format: .hermes,
            output: "Tags look like <tool_ and <b>.", content: "Tags look like <tool_ and <b>.", calls: []),
        Example(
            label: "a bare call object, tags left out", format: .hermes,
            output: "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}",
            content: "", calls: [call(0, "get_weather", #"{"city": "Paris"}"#)], toolNames: ["get_weather"]),
        Example(
            label: "a bare object naming a function not offered", format: .hermes,
            output: "{\"name\": \"Ada\", \"arguments\": {}}",
            content: "{\"name\": \"Ada\", \"arguments\": {}}", calls: [], toolNames: ["get_weather"]),
        Example(
            label: "a tagged call naming a function not offered", format: .hermes,
            output: "<tool_call>\n{\"name\": \"rm\", \"arguments\": {}}\n</tool_call>",
            content: "<tool_call>\n{\"name\": \"rm\", \"arguments\": {}}\n</tool_call>", calls: [], toolNames: ["get_weather"]),
        Example(
            label: "a bare object later in an answer", format: .hermes,
            output: "As JSON: {\"name\": \"get_weather\"}", content: "As JSON: {\"name\": \"get_weather\"}", calls: [],
            toolNames: ["get_weather"]),
        Example(
            label: "JSON answer", format: .llama3JSON,
            output: "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}",
            content: "", calls: [call(0, "get_weather", #"{"city": "Paris"}"#)]),
        Example(
            label: "python_tag and two calls", format: .llama3JSON,
            output: "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}; {\"name\": \"add\", \"parameters\": {\"a\": 1, \"b\": 2}}",
            content: "", calls: [call(0, "get_weather", #"{"city": "Paris"}"#), call(1, "add", #"{"a": 1, "b": 2}"#)]),
        Example(
            label: "JSON later in an answer", format: .llama3JSON,
            output: "Here it is: {\"name\": \"x\", \"parameters\": {}}", content: "Here it is: {\"name\": \"x\", \"parameters\": {}}", calls: []),
        Example(
            label: "a JSON answer that is not a call", format: .llama3JSON,
            output: " {\"answer\": 42}", content: " {\"answer\": 42}", calls: []),
        Example(
            label: "a list of two calls", format: .mistral,
            output: "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}, {\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}]",
            content: "", calls: [call(0, "get_weather", #"{"city": "Paris"}"#), call(1, "add", #"{"a": 2, "b": 3}"#)]),
        Example(
            label: "text, then a call", format: .mistral,
            output: "Let me look.[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {}}]",
            content: "Let me look.", calls: [call(0, "f", "{}")]),
        Example(
            label: "a trigger without calls", format: .mistral,
            output: "[TOOL_CALLS] nothing", content: "[TOOL_CALLS] nothing", calls: []),
    ]

    /// Feeds `chunks` one after the other and folds what comes out.
    static func run(
        _ chunks: [String], _ format: ToolCallFormat, toolNames: Set<String>? = nil
    ) -> (ParsedToolCalls, [ToolCallEvent]) {
        var parser = ToolCallParser(format: format, toolNames: toolNames, makeCallID: ids)
        var events: [ToolCallEvent] = []
        for chunk in chunks { events += parser.feed(chunk) }
        events += parser.finish()
        var parsed = ParsedToolCalls()
        parsed.apply(events)
        return (parsed, events)
    }

    @Test(arguments: examples)
    func testWholeOutputParsesToTheExpectedContentAndCalls(_ e: Example) {
        let parsed = ToolCallParser.parse(e.output, format: e.format, toolNames: e.toolNames, makeCallID: Self.ids)
        #expect(parsed.content == e.content)
        #expect(parsed.calls == e.calls)
    }

    @Test(arguments: examples)
    func testEverySplitPointGivesTheSameResult(_ e: Example) {
        let whole = ToolCallParser.parse(e.output, format: e.format, toolNames: e.toolNames, makeCallID: Self.ids)
        let scalars = Array(e.output.unicodeScalars)
        for cut in 0...scalars.count {
            let chunks = [String(String.UnicodeScalarView(scalars[..<cut])), String(String.UnicodeScalarView(scalars[cut...]))]
            #expect(Self.run(chunks, e.format, toolNames: e.toolNames).0 == whole, "cut at \(cut)")
        }
        let oneByOne = scalars.map { String($0) }
        #expect(Self.run(oneByOne, e.format, toolNames: e.toolNames).0 == whole, "one code point per delta")
    }

    @Test(arguments: examples)
    func testEventsComeInOpenAIOrder(_ e: Example) {
        let (_, events) = Self.run(e.output.unicodeScalars.map { String($0) }, e.format, toolNames: e.toolNames)
        var open: Int?
        var started = 0
        for event in events {
            switch event {
            case .content(let text):
                #expect(open == nil, "no content inside a call")
                #expect(!text.isEmpty)
            case .callStart(let index, _, _):
                #expect(open == nil && index == started)
                open = index
                started += 1
            case .arguments(let index, let delta):
                #expect(open == index && !delta.isEmpty)
            case .callEnd(let index):
                #expect(open == index)
                open = nil
            }
        }
        #expect(open == nil, "every call ends")
    }

    @Test func testTextThatMightStartATriggerIsHeldBackUntilSettled() {
        var parser = ToolCallParser(format: .hermes, makeCallID: Self.ids)
        #expect(parser.feed("Hello <tool") == [.content("Hello")])
        #expect(parser.feed("_call>\n{\"name\": \"f\", ") == [])
        #expect(parser.feed("\"arguments\": {\"a\"") == [.callStart(index: 0, id: "call_0", name: "f"), .arguments(index: 0, delta: "{\"a\"")])
        #expect(parser.feed(": 1}}\n</tool") == [.arguments(index: 0, delta: ": 1}"), .callEnd(index: 0)])
        #expect(parser.feed("_call>") == [])
        #expect(parser.finish() == [])

        var plain = ToolCallParser(format: .hermes, makeCallID: Self.ids)
        #expect(plain.feed("a <tool") == [.content("a")])
        #expect(plain.feed("box") == [.content(" <toolbox")])
    }

    @Test func testDefaultCallIDsLookLikeOpenAIs() {
        let id = ToolCallParser.randomCallID(0)
        #expect(id.hasPrefix("call_") && id.count == 29)
        #expect(id.dropFirst(5).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(ToolCallParser.randomCallID(0) != id)
    }
}
