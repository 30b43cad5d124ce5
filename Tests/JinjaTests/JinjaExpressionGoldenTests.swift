import Foundation
import Jinja
import LightServeCore
import TestSupport
import Testing

/// One-line templates over the features chat templates use, against what jinja2 renders in
/// Hugging Face's environment (`Fixtures/jinja_expressions.json`, from `make_jinja_fixtures.py`):
/// Python's printing of numbers and strings, code-point string semantics, `tojson`'s options,
/// filters, tests, loops, macros, and the errors jinja2 raises.
@Suite struct JinjaExpressionGoldenTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let source: String
        /// What jinja2 rendered; nil when it raised.
        let rendered: String?
        var testDescription: String { String(source.prefix(60)) }
    }

    static let fixture: JSON? = try? JSON.parse(Data(contentsOf: TestPaths.fixture("jinja_expressions.json")))

    static let cases: [Case] = {
        guard case .array(let items)? = fixture?["cases"] else { return [] }
        return items.compactMap { item in
            guard case .string(let source)? = item["source"] else { return nil }
            let rendered: String? = if case .string(let r)? = item["rendered"] { r } else { nil }
            return Case(source: source, rendered: rendered)
        }
    }()

    static let variables: [String: TemplateValue] = {
        guard case .object(let members)? = fixture?["variables"] else { return [:] }
        return Dictionary(members.map { ($0.0, TemplateValue($0.1)) }, uniquingKeysWith: { $1 })
    }()

    @Test func testFixtureIsPresent() {
        #expect(Self.cases.count == 47)
        #expect(Self.cases.contains { $0.rendered == nil }, "some lines pin errors")
    }

    @Test(arguments: cases)
    func testRenderingMatchesJinja2(_ c: Case) throws {
        let template = try ChatTemplate(c.source)
        let render = { () throws(JinjaError) -> String in
            try template.render(messages: [], addGenerationPrompt: false, bosToken: "", eosToken: "", variables: Self.variables)
        }
        guard let expected = c.rendered else {
            #expect(throws: JinjaError.self) { try render() }
            return
        }
        #expect(try render() == expected)
    }
}
