import LightServeCore
import Testing

@testable import Ingress

@Suite struct OpenAIRequestTests {
    static func parse(_ body: String, _ endpoint: OpenAIRequest.Endpoint = .chat) throws -> OpenAIRequest {
        try OpenAIRequest.parse(JSON.parse(Array(body.utf8)), endpoint: endpoint, defaultMaxTokens: 16, chatMaxTokens: 512, maxTokensLimit: 8191)
    }

    static func message(_ body: String, _ endpoint: OpenAIRequest.Endpoint = .chat) -> String? {
        do {
            _ = try parse(body, endpoint)
            return nil
        } catch let error as APIError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func testChatDefaultsSampleAtTemperatureOneAndRunToTheContext() throws {
        let r = try Self.parse(#"{"model": "m", "messages": [{"role": "user", "content": "hi"}]}"#)
        #expect(r.options.sampling.doSample && r.options.sampling.temperature == 1)
        #expect(r.options.maxNewTokens == 512 && r.options.clampToContext)
        #expect(!r.options.includeStopSequence, "OpenAI cuts the stop text")
        #expect(!r.options.addSpecialTokens, "the template places special tokens itself")
        #expect(r.prompts == [.chat(ChatPrompt(messages: [.object([("role", "user"), ("content", "hi")])]))])
    }

    @Test func testTemperatureZeroIsGreedy() throws {
        let r = try Self.parse(#"{"messages": [{"role": "user", "content": "hi"}], "temperature": 0}"#)
        #expect(r.options.sampling.isGreedy)
    }

    @Test func testCompletionFields() throws {
        let r = try Self.parse(
            #"{"prompt": ["a", "b"], "max_tokens": 7, "n": 2, "best_of": 3, "logprobs": 2, "echo": false, "stop": "x", "seed": 5, "top_k": 4, "min_tokens": 2}"#,
            .completions)
        #expect(r.prompts == [.text("a"), .text("b")])
        #expect(r.options.maxNewTokens == 7 && r.options.returnCount == 2 && r.options.bestOf == 3)
        #expect(r.options.sampling.topLogprobs == 2 && r.logprobs)
        #expect(r.options.stopSequences == ["x"] && r.options.sampling.seed == 5 && r.options.sampling.topK == 4)
        #expect(r.options.sampling.minNewTokens == 2)
        #expect(try Self.parse(#"{"prompt": [1, 2, 3]}"#, .completions).prompts == [.tokens([1, 2, 3])])
        #expect(try Self.parse(#"{"prompt": [[1], [2, 3]]}"#, .completions).prompts == [.tokens([1]), .tokens([2, 3])])
    }

    @Test func testContentPartsAreJoinedAndOtherFieldsKept() throws {
        let r = try Self.parse(
            #"{"messages": [{"role": "user", "name": "bob", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]}"#)
        #expect(r.prompts == [.chat(ChatPrompt(messages: [.object([("role", "user"), ("name", "bob"), ("content", "ab")])]))])
    }

    @Test(arguments: [
        (#"{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}"#, "tools[0].function: is required"),
        (#"{"messages": [{"role": "user", "content": "x"}], "logit_bias": {"5": 1}}"#, "logit_bias: is not supported"),
        (#"{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "xml"}}"#, "response_format.type: must be"),
        (#"{"messages": [{"role": "user", "content": "x"}], "frobnicate": 1}"#, "frobnicate: is not a recognised parameter"),
        (#"{"messages": []}"#, "messages: is required"),
        (#"{"messages": [{"content": "x"}]}"#, "messages[0].role"),
        (#"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}"#, "messages[0].content[0]: only text parts"),
        (#"{"messages": [{"role": "user", "content": "x"}], "temperature": 3}"#, "temperature: must be between 0 and 2"),
        (#"{"messages": [{"role": "user", "content": "x"}], "top_logprobs": 3}"#, "top_logprobs: needs logprobs: true"),
        (#"{"messages": [{"role": "user", "content": "x"}], "stream_options": {"include_usage": true}}"#, "stream_options: is only allowed"),
        (#"{"messages": [{"role": "user", "content": "x"}], "stop": ["a", "b", "c", "d", "e"]}"#, "stop: at most 4"),
    ])
    func testUnsupportedOrInvalidFieldsAreNamed(body: String, expected: String) {
        let message = Self.message(body)
        #expect(message?.contains(expected) == true, "got \(message ?? "no error")")
    }

    @Test func testEmptyLogitBiasAndTextResponseFormatAreAccepted() throws {
        _ = try Self.parse(#"{"messages": [{"role": "user", "content": "x"}], "logit_bias": {}, "response_format": {"type": "text"}, "user": "u"}"#)
    }

    @Test func testCompletionOnlyRules() {
        #expect(Self.message(#"{"prompt": "x", "suffix": "y"}"#, .completions)?.contains("suffix") == true)
        #expect(Self.message(#"{"prompt": "x", "echo": true, "logprobs": 1, "stream": true}"#, .completions)?.contains("echo") == true)
        #expect(Self.message(#"{"prompt": "x", "n": 3, "best_of": 2}"#, .completions)?.contains("best_of") == true)
        #expect(Self.message(#"{"prompt": "x", "messages": []}"#, .completions)?.contains("messages") == true)
    }
}

@Suite struct OpenAIStructuredRequestTests {
    static func parse(_ body: String, _ endpoint: OpenAIRequest.Endpoint = .chat, tools: ToolCallFormat? = .hermes) throws -> OpenAIRequest {
        try OpenAIRequest.parse(
            JSON.parse(Array(body.utf8)), endpoint: endpoint, defaultMaxTokens: 16, chatMaxTokens: 512, maxTokensLimit: 8191,
            toolCallFormat: tools)
    }

    static func message(_ body: String, _ endpoint: OpenAIRequest.Endpoint = .chat, tools: ToolCallFormat? = .hermes) -> String? {
        do {
            _ = try parse(body, endpoint, tools: tools)
            return nil
        } catch {
            return (error as? APIError)?.message
        }
    }

    static let weather = #"[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]"#

    @Test func testEchoWithLogprobsAsksForThePromptsLogprobs() throws {
        let r = try Self.parse(#"{"prompt": "x", "echo": true, "logprobs": 2}"#, .completions)
        #expect(r.options.promptLogprobs == 2 && r.echo)
        #expect(try Self.parse(#"{"prompt": "x", "echo": true}"#, .completions).options.promptLogprobs == nil)
    }

    @Test func testResponseFormatsBecomeConstraintsNamingTheirField() throws {
        let object = try Self.parse(#"{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}}"#)
        #expect(object.options.constraint == OutputConstraint(.pattern(.jsonObject), field: "response_format"))
        let schema = try Self.parse(
            #"{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema", "json_schema": {"name": "p", "schema": {"type": "integer"}}}}"#)
        #expect(schema.options.constraint?.rule == .pattern(.jsonSchema(.object([("type", "integer")]))))
        #expect(schema.options.constraint?.field == "response_format.json_schema.schema")
        let lightLLMShape = try Self.parse(
            #"{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema", "schema": "{\"type\": \"boolean\"}"}}"#)
        #expect(lightLLMShape.options.constraint?.rule == .pattern(.jsonSchema(.object([("type", "boolean")]))))
        #expect(try Self.parse(#"{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "text"}}"#).options.constraint == nil)
    }

    @Test func testTwoConstraintsAreRefusedNamingBoth() {
        let both = Self.message(
            #"{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}, "regular_constraint": "a+"}"#)
        #expect(both?.contains("response_format") == true && both?.contains("regular_constraint") == true, "got \(both ?? "nil")")
    }

    @Test func testRequiredToolChoiceConstrainsTheWholeAnswerToCalls() throws {
        let r = try Self.parse(#"{"messages": [{"role": "user", "content": "x"}], "tools": \#(Self.weather), "tool_choice": "required"}"#)
        let constraint = try #require(r.options.constraint)
        #expect(constraint.activation == .immediately && constraint.field == "tools")
        #expect(r.call.output.toolCalls == .hermes)
        guard case .chat(let chat) = r.prompts[0] else {
            Issue.record("not a chat prompt")
            return
        }
        #expect(chat.tools?.count == 1)
    }

    @Test func testAutoToolChoiceWaitsForTheModelsTrigger() throws {
        let r = try Self.parse(#"{"messages": [{"role": "user", "content": "x"}], "tools": \#(Self.weather)}"#)
        #expect(r.options.constraint?.activation == .whenever(["<tool_call>"]))
        let single = try Self.parse(
            #"{"messages": [{"role": "user", "content": "x"}], "tools": \#(Self.weather), "parallel_tool_calls": false}"#)
        #expect(single.options.constraint?.activation == .after("<tool_call>"))
    }

    @Test func testNoneHidesTheToolsAndReadsNoCalls() throws {
        let r = try Self.parse(#"{"messages": [{"role": "user", "content": "x"}], "tools": \#(Self.weather), "tool_choice": "none"}"#)
        #expect(r.options.constraint == nil && r.call.output.toolCalls == nil)
        guard case .chat(let chat) = r.prompts[0] else {
            Issue.record("not a chat prompt")
            return
        }
        #expect(chat.tools == nil)
    }

    @Test(arguments: [
        (#""tool_choice": "required""#, "tool_choice: needs tools"),
        (#""tools": \#(weather), "tool_choice": {"type": "function", "function": {"name": "nope"}}"#, "'nope' is not one of the tools"),
        (#""tools": \#(weather), "tool_choice": "sometimes""#, "tool_choice: must be"),
        (#""tools": [{"type": "function", "function": {"name": "a b"}}]"#, "tools[0].function.name"),
    ])
    func testBadToolRequestsAreNamed(fields: String, expected: String) {
        let message = Self.message(#"{"messages": [{"role": "user", "content": "x"}], \#(fields)}"#)
        #expect(message?.contains(expected) == true, "got \(message ?? "no error")")
    }

    @Test func testToolsNeedAModelThatWritesCalls() {
        let message = Self.message(#"{"messages": [{"role": "user", "content": "x"}], "tools": \#(Self.weather)}"#, tools: nil)
        #expect(message?.contains("writes no tool calls") == true)
    }

    @Test func testAssistantToolCallArgumentsReachTheTemplateAsObjects() throws {
        let r = try Self.parse(
            #"{"messages": [{"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{\"a\": 1}"}}]}, {"role": "tool", "tool_call_id": "c", "content": "2"}]}"#)
        guard case .chat(let chat) = r.prompts[0] else {
            Issue.record("not a chat prompt")
            return
        }
        #expect(chat.messages[0]["tool_calls"]?.array?.first?["function"]?["arguments"] == .object([("a", 1)]))
    }

    @Test func testChatTemplateKwargsReachTheTemplate() throws {
        let r = try Self.parse(#"{"messages": [{"role": "user", "content": "x"}], "chat_template_kwargs": {"enable_thinking": false}}"#)
        guard case .chat(let chat) = r.prompts[0] else {
            Issue.record("not a chat prompt")
            return
        }
        #expect(JSON.object(chat.variables) == .object([("enable_thinking", false)]))
    }
}
