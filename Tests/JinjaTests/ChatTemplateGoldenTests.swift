import Foundation
import GGUF
import Jinja
import TestSupport
import Testing

/// Renderings against Hugging Face's `apply_chat_template` (`golden/chat_templates.json`).
@Suite struct ChatTemplateGoldenTests {
    struct Fixture: Decodable {
        let templates: [String: String]
        let cases: [Case]
    }

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        struct Message: Decodable, Sendable {
            let role: String
            let content: String
            let name: String?
        }
        let template: String
        let messages: [Message]
        let add_generation_prompt: Bool
        let bos_token: String
        let eos_token: String
        let rendered: String?
        let error: String?
        var testDescription: String { "\(template) \(messages.map(\.role)) gen=\(add_generation_prompt)" }
    }

    static let fixture: Fixture? = try? TestPaths.loadFixture("chat_templates.json")

    @Test func testFixtureIsPresent() {
        #expect(Self.fixture?.cases.count == 48)
        #expect(Self.fixture?.templates.count == 4)
    }

    @Test(arguments: fixture?.cases ?? [])
    func testRenderingMatchesHuggingFace(_ c: Case) throws {
        let template = try ChatTemplate(try #require(Self.fixture?.templates[c.template]))
        let messages = c.messages.map { m in
            TemplateValue.object([("role", .string(m.role)), ("content", .string(m.content))] + (m.name.map { [("name", .string($0))] } ?? []))
        }
        do {
            let rendered = try template.render(
                messages: messages, addGenerationPrompt: c.add_generation_prompt, bosToken: c.bos_token, eosToken: c.eos_token)
            #expect(c.error == nil, "expected the error \(c.error ?? "")")
            #expect(rendered == c.rendered)
        } catch {
            #expect(error == .raised(c.error ?? "unexpected: \(error)"))
        }
    }

    @Test func testDefaultModelTemplateRendersItsChatFormat() throws {
        let file = try GGUFFile(path: TestModel.path())
        let template = try ChatTemplate(try file.requireString("tokenizer.chat_template"))
        let rendered = try template.render(
            messages: [.message(role: "user", content: "Hi")], addGenerationPrompt: true, bosToken: "", eosToken: "<|im_end|>")
        #expect(rendered.hasSuffix("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"))
    }
}

@Suite struct JinjaInterpreterTests {
    static func render(_ source: String, _ variables: [String: TemplateValue] = [:]) throws -> String {
        try ChatTemplate(source).render(messages: [], addGenerationPrompt: false, bosToken: "<s>", eosToken: "</s>", variables: variables)
    }

    @Test func testLoopVariables() throws {
        let out = try Self.render("{% for x in ['a','b','c'] %}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}")
        #expect(out == "1a,2b,3c")
        #expect(try Self.render("{% for x in [1,2,3] %}{{ loop.revindex0 }}{{ loop.first }}{% endfor %}") == "2True1False0False")
    }

    @Test func testForElseFilterBreakAndContinue() throws {
        #expect(try Self.render("{% for x in [] %}x{% else %}empty{% endfor %}") == "empty")
        #expect(try Self.render("{% for x in range(10) if x is odd %}{{ x }}{% endfor %}") == "13579")
        #expect(try Self.render("{% for x in range(10) %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}") == "012")
        #expect(try Self.render("{% for x in range(4) %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}") == "023")
    }

    @Test func testSetDoesNotLeakOutOfLoopsButNamespaceDoes() throws {
        let out = try Self.render("{% set n = 0 %}{% set ns = namespace(n=0) %}{% for x in [1,2] %}{% set n = n + x %}{% set ns.n = ns.n + x %}{% endfor %}{{ n }} {{ ns.n }}")
        #expect(out == "0 3")
    }

    @Test func testExpressionsFollowPython() throws {
        #expect(try Self.render("{{ 7 // 2 }} {{ 7 / 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 'ab' * 2 }} {{ 1 ~ 'x' }}") == "3 3.5 2 1024 abab 1x")
        #expect(try Self.render("{{ [1, 'a', none, true] }} {{ {'k': 1.0} }}") == "[1, 'a', None, True] {'k': 1.0}")
        #expect(try Self.render("{{ 'yes' if 1 in [1,2] else 'no' }} {{ 'x' not in 'abc' }}") == "yes True")
        #expect(try Self.render("{{ 'Hello'[1:4] }} {{ [1,2,3][::-1] }} {{ 'abc'[-1] }}") == "ell [3, 2, 1] c")
    }

    @Test func testFiltersAndMethods() throws {
        #expect(try Self.render("{{ '  x  ' | trim }}|{{ 'ab' | upper }}|{{ [3,1,2] | sort | join(',') }}|{{ [1,2] | length }}") == "x|AB|1,2,3|2")
        #expect(try Self.render("{{ ' a b '.strip().split(' ') }} {{ 'abc'.startswith('ab') }} {{ 'a-b'.replace('-', '+') }}") == "['a', 'b'] True a+b")
        #expect(try Self.render("{{ {'b': [1, 'é'], 'a': none} | tojson }}") == #"{"b": [1, "é"], "a": null}"#)
        #expect(try Self.render("{{ {'a': 1} | tojson(indent=2) }}") == "{\n  \"a\": 1\n}")
        #expect(try Self.render("{{ missing | default('d') }} {{ x.get('k', 'none') }}", ["x": .object([])]) == "d none")
        #expect(try Self.render("{{ items | selectattr('on') | map(attribute='n') | join }}",
            ["items": .list([.object([("n", .string("a")), ("on", .bool(true))]), .object([("n", .string("b")), ("on", .bool(false))])])]) == "a")
    }

    @Test func testTestsAndUndefined() throws {
        #expect(try Self.render("{{ x is defined }} {{ y is defined }} {{ y is not defined }} {{ x is string }}", ["x": .string("s")]) == "True False True True")
        #expect(try Self.render("[{{ missing }}]") == "[]")
        #expect(throws: JinjaError.self) { try Self.render("{{ missing.attribute }}") }
    }

    @Test func testWhitespaceControlAndTrimBlocks() throws {
        #expect(try Self.render("a  {%- if true -%}  b  {%- endif -%}  c") == "abc")
        #expect(try Self.render("{% if true %}\nx\n{% endif %}\ny") == "x\ny")
        #expect(try Self.render("  {% if true %}x{% endif %}") == "x")
        #expect(try Self.render("  {{ 'v' }}") == "  v")
        #expect(try Self.render("{# comment #}\nz") == "z")
        #expect(try Self.render("{% raw %}{{ not evaluated }}{% endraw %}") == "{{ not evaluated }}")
    }

    @Test func testMacrosAndBlockSet() throws {
        #expect(try Self.render("{% macro greet(name, p='!') %}hi {{ name }}{{ p }}{% endmacro %}{{ greet('bob') }}{{ greet('al', p='?') }}") == "hi bob!hi al?")
        #expect(try Self.render("{% set s %}inner {{ 1 + 1 }}{% endset %}[{{ s }}]") == "[inner 2]")
    }

    @Test func testAbsentToolsAreNoneAsHuggingFacePassesThem() throws {
        let source = "{{ tools is defined }} {{ tools is none }} {{ 'with' if tools else 'without' }}"
        let render = { (tools: [TemplateValue]?) in
            try ChatTemplate(source).render(messages: [], tools: tools, addGenerationPrompt: false, bosToken: "", eosToken: "")
        }
        #expect(try render(nil) == "True True without")
        #expect(try render([]) == "True False without")
        #expect(try render([.object([("type", .string("function"))])]) == "True False with")
    }

    @Test func testIntegerOverflowIsAnErrorNotAWrappedValue() {
        #expect(throws: JinjaError.self) { try Self.render("{{ 9223372036854775807 + 1 }}") }
        #expect(throws: JinjaError.self) { try Self.render("{{ 2 ** 64 }}") }
        #expect(throws: JinjaError.self) { try Self.render("{{ -(-9223372036854775807 - 1) }}") }
        #expect(throws: JinjaError.self) { try Self.render("{{ 'x' * 100000000 }}") }
    }

    @Test func testRunawayMacroRecursionIsAnErrorNotACrash() throws {
        let countdown = "{% macro down(n) %}{% if n > 0 %}{{ n }}{{ down(n - 1) }}{% endif %}{% endmacro %}"
        #expect(try Self.render(countdown + "{{ down(30) | length }}") == "51")
        #expect(throws: JinjaError.self) { try Self.render(countdown + "{{ down(100000) }}") }
        // Cohere's schema macro on a type list holding "null": a string, so "iterable", forever.
        let schema = "{% macro py(s) %}{% if s.type is iterable %}{% for t in s.type %}{{ py({'type': t}) }}{% endfor %}{% endif %}{% endmacro %}"
        #expect(throws: JinjaError.self) { try Self.render(schema + "{{ py({'type': ['null']}) }}") }
    }

    @Test func testRaiseExceptionCarriesTheTemplatesMessage() {
        #expect(throws: JinjaError.raised("no way")) { try Self.render("{{ raise_exception('no way') }}") }
    }

    @Test func testErrorsNameTheLineAndTheConstruct() {
        #expect(throws: JinjaError.syntax("missing {% endif %}", line: 2)) { try ChatTemplate("a\n{% if x %}b") }
        #expect(throws: JinjaError.unsupported("{% include %}", line: 1)) { try ChatTemplate("{% include 'x' %}") }
        #expect(throws: JinjaError.syntax("unknown statement 'frobnicate'", line: 1)) { try ChatTemplate("{% frobnicate %}") }
    }
}
