import Foundation
import Jinja
import LightServeCore
import TestSupport
import Testing

/// Qwen2.5-Coder's templates with tools, assistant tool calls and tool results, against Hugging
/// Face's `apply_chat_template` (`golden/qwen25_tool_templates.json`), byte for byte.
@Suite struct ToolTemplateGoldenTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let number: Int
        let template: String
        let messages: [TemplateValue]
        let tools: [TemplateValue]?
        let addGenerationPrompt: Bool
        let rendered: String
        var testDescription: String {
            "#\(number) \(template) tools=\(tools?.count ?? 0) gen=\(addGenerationPrompt)"
        }
    }

    /// The fixture read with LightServe's own JSON parser, which keeps members in their written
    /// order: `tojson` must print a tool's schema in the order the client wrote it.
    static let fixture: JSON? = try? JSON.parse(Data(contentsOf: TestPaths.fixture("qwen25_tool_templates.json")))

    static let cases: [Case] = {
        guard case .array(let items)? = fixture?["cases"] else { return [] }
        return items.enumerated().compactMap { number, item in
            guard case .string(let template)? = item["template"], case .array(let messages)? = item["messages"],
                case .bool(let addGenerationPrompt)? = item["add_generation_prompt"],
                case .string(let rendered)? = item["rendered"]
            else { return nil }
            let tools: [TemplateValue]? = if case .array(let tools)? = item["tools"] { tools.map(TemplateValue.init) } else { nil }
            return Case(
                number: number, template: template, messages: messages.map(TemplateValue.init), tools: tools,
                addGenerationPrompt: addGenerationPrompt, rendered: rendered)
        }
    }()

    @Test func testFixtureIsPresent() {
        #expect(Self.cases.count == 24)
        guard case .object(let templates)? = Self.fixture?["templates"] else {
            Issue.record("the fixture has no templates")
            return
        }
        #expect(templates.count == 2)
        #expect(Self.cases.contains { $0.tools == nil }, "a case without tools takes the template's other branch")
    }

    @Test(arguments: cases)
    func testRenderingMatchesHuggingFace(_ c: Case) throws {
        guard case .string(let source)? = Self.fixture?["templates"]?[c.template] else {
            Issue.record("no template \(c.template)")
            return
        }
        let rendered = try ChatTemplate(source).render(
            messages: c.messages, tools: c.tools, addGenerationPrompt: c.addGenerationPrompt, bosToken: "",
            eosToken: "<|im_end|>")
        #expect(rendered == c.rendered)
    }
}
