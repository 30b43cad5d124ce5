import Testing

@testable import Ingress

/// Which tool-call syntax a chat template speaks, and the literal text a grammar builds calls from.
@Suite struct ToolCallFormatTests {
    @Test func testTemplatesAreRecognisedByTheirToolMarkup() {
        let qwen = "{%- if tools %}...<tool_call>\\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\\n</tool_call>{%- endif %}"
        let llama = "<|start_header_id|>user<|end_header_id|>\\n\\nRespond in the format {\"name\": function name, \"parameters\": dictionary}"
        let llama31 = "{{- \"<|python_tag|>\" + tool_call.name + \".call(\" }}"
        let mistral = "{{- \"[TOOL_CALLS][\" }}{%- for tool_call in message.tool_calls %}"
        let mistralV11 = "{{- '[TOOL_CALLS]' + tool_call.function.name }}{{- '[ARGS]' + arguments }}"
        let plain = "{% for message in messages %}<|im_start|>{{ message.role }}\\n{{ message.content }}<|im_end|>\\n{% endfor %}"
        #expect(ToolCallFormat(chatTemplate: qwen) == .hermes)
        #expect(ToolCallFormat(chatTemplate: llama) == .llama3JSON)
        #expect(ToolCallFormat(chatTemplate: llama31) == .llama3JSON)
        #expect(ToolCallFormat(chatTemplate: mistral) == .mistral)
        #expect(ToolCallFormat(chatTemplate: mistralV11) == nil, "[TOOL_CALLS]name[ARGS]{...} is another syntax")
        #expect(ToolCallFormat(chatTemplate: plain) == nil)
    }

    @Test func testAForcedCallIsWhatTheTemplateRenders() {
        let format = ToolCallFormat.hermes
        let call = format.callOpen + format.callJSONPrefix(name: "get_weather") + #"{"city": "Paris"}"#
            + ToolCallFormat.callJSONSuffix + format.callClose
        // As Qwen2.5's template renders an assistant's call (golden/qwen25_tool_templates.json).
        #expect(call == "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>")
        #expect(ToolCallFormat.llama3JSON.callJSONPrefix(name: "a\"b") == #"{"name": "a\"b", "parameters": "#)
        #expect(ToolCallFormat.mistral.sectionOpen == "[TOOL_CALLS][" && ToolCallFormat.mistral.sectionClose == "]")
    }

    @Test func testAForcedSectionParsesBackToItsCalls() {
        for format in [ToolCallFormat.hermes, .llama3JSON, .mistral] {
            let calls = [("get_weather", #"{"city": "Paris"}"#), ("add", #"{"a": 1, "b": [2, 3]}"#)]
            let section = format.sectionOpen
                + calls.map { format.callOpen + format.callJSONPrefix(name: $0.0) + $0.1 + ToolCallFormat.callJSONSuffix + format.callClose }
                .joined(separator: format.callSeparator) + format.sectionClose
            let parsed = ToolCallParser.parse(section, format: format, makeCallID: { "call_\($0)" })
            #expect(parsed.content == "", "\(format)")
            #expect(parsed.calls.map(\.name) == calls.map(\.0) && parsed.calls.map(\.arguments) == calls.map(\.1), "\(format)")
        }
    }
}
