import LightServeCore
import Testing

@Suite struct JSONParserTests {
    @Test func objectMembersKeepTheirWrittenOrder() throws {
        let value = try JSON.parse(#"{"zeta": 1, "alpha": 2, "mid": {"b": true, "a": null}}"#)
        guard case .object(let members) = value, case .object(let inner)? = value["mid"] else {
            Issue.record("not an object: \(value)")
            return
        }
        #expect(members.map(\.0) == ["zeta", "alpha", "mid"])
        #expect(inner.map(\.0) == ["b", "a"])
    }

    @Test func integersStayApartFromFloats() throws {
        #expect(try JSON.parse("[1, -0, 1.0, 2e3, 9223372036854775807, 9223372036854775808]") == .array([
            .int(1), .int(0), .double(1), .double(2000), .int(Int64.max), .double(9_223_372_036_854_775_808),
        ]))
    }

    @Test func escapesAndSurrogatePairsDecode() throws {
        #expect(try JSON.parse(#""a\"b\\c\/\n\u00e9\ud83d\ude00""#) == .string("a\"b\\c/\né😀"))
    }

    @Test func roundTripsThroughSerialization() throws {
        let text = #"{"a":[1,2.5,"x",null,true,{"b":false}],"c":"\u0001"}"#
        #expect(try JSON.parse(text).serialized == text)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"a", "tru", "[1] 2", "{\"a\":1,}", "\"\u{01}\"",
        "NaN",
    ])
    func malformedDocumentsAreRefusedWithAPosition(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func nestingBeyondTheLimitIsRefusedInsteadOfExhaustingTheStack() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSON.parse(fine) }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: JSONParseError.self) { try JSON.parse([0x22, 0xFF, 0x22]) }
    }
}
