import Grammar
import LightServeCore
import Testing

@Suite struct JSONSchemaTests {
    private func schema(_ text: String) throws -> Grammar {
        try Grammar.jsonSchema(JSON.parse(text))
    }

    @Test func integerBoundsAreExact() throws {
        let g = try schema(#"{"type": "integer", "minimum": 18, "exclusiveMaximum": 121}"#)
        for n in [18, 19, 99, 100, 120] { #expect(try g.accepts(String(n)), "\(n)") }
        for text in ["17", "121", "1000", "018", "-18", "18.0", "1e2"] { #expect(try !g.accepts(text), "\(text)") }
        let negative = try schema(#"{"type": "integer", "minimum": -12, "maximum": -3}"#)
        #expect(try negative.accepts("-12"))
        #expect(try negative.accepts("-3"))
        #expect(try !negative.accepts("-2"))
        #expect(try !negative.accepts("-13"))
        #expect(try !negative.accepts("-0"))
        let open = try schema(#"{"type": "integer", "exclusiveMinimum": 7}"#)
        #expect(try open.accepts("8"))
        #expect(try open.accepts("123456789012"))
        #expect(try !open.accepts("7"))
        let plain = try schema(#"{"type": "integer"}"#)
        #expect(try plain.accepts("-42"))
        #expect(try !plain.accepts("-0"))
        #expect(try !plain.accepts("007"))
    }

    @Test func numberBoundsAreExactForWholeBounds() throws {
        let g = try schema(#"{"type": "number", "minimum": -3, "exclusiveMaximum": 5}"#)
        for text in ["-3", "-3.0", "-2.999", "0", "-0.5", "4.999", "4", "0.0"] { #expect(try g.accepts(text), "\(text)") }
        for text in ["-3.001", "5", "5.0", "5.01", "-4", "1e0", "-0"] { #expect(try !g.accepts(text), "\(text)") }
        let positive = try schema(#"{"type": "number", "exclusiveMinimum": 0}"#)
        #expect(try positive.accepts("0.001"))
        #expect(try !positive.accepts("0"))
        #expect(try !positive.accepts("0.000"))
        #expect(try !positive.accepts("-0.5"))
        let free = try schema(#"{"type": "number"}"#)
        for text in ["0", "-0", "1.5e-3", "2E+10", "-12.75"] { #expect(try free.accepts(text), "\(text)") }
        for text in ["01", "1.", ".5", "+1", "1e"] { #expect(try !free.accepts(text), "\(text)") }
    }

    @Test func stringLengthsCountCharactersWithEscapes() throws {
        let g = try schema(#"{"type": "string", "minLength": 2, "maxLength": 3}"#)
        #expect(try g.accepts(#""é\n""#))
        #expect(try g.accepts(#""\u00e9\ud83d\ude00x""#))
        #expect(try !g.accepts(#""a""#))
        #expect(try !g.accepts(#""abcd""#))
        #expect(try !g.accepts(#""\ud83dx""#))  // a lone surrogate escape
        let any = try schema(#"{"type": "string"}"#)
        #expect(try any.accepts(#""tab\there \"quoted\" \/ \\""#))
        #expect(try !any.accepts("\"raw\nnewline\""))
        #expect(try !any.accepts(#""bad \x escape""#))
    }

    @Test func patternsAreSearchedUnlessAnchored() throws {
        let search = try schema(#"{"type": "string", "pattern": "ab"}"#)
        #expect(try search.accepts(#""xxabyy""#))
        #expect(try !search.accepts(#""xxayy""#))
        let anchored = try schema(#"{"type": "string", "pattern": "^a\"b$"}"#)
        #expect(try anchored.accepts(#""a\"b""#))
        #expect(try !anchored.accepts(#""xa\"b""#))
    }

    @Test(arguments: [
        ("date", ["2024-02-29", "2000-02-29", "1999-12-31"], ["2023-02-29", "1900-02-29", "2024-04-31", "0000-01-01", "2024-13-01"]),
        ("time", ["23:59:59Z", "00:00:00.123+05:30"], ["24:00:00Z", "12:60:00Z", "12:00:00", "12:00:60Z"]),
        ("date-time", ["2024-01-31T10:30:00Z"], ["2024-01-31 10:30:00Z", "2024-01-32T10:30:00Z"]),
        ("uuid", ["123e4567-e89b-12d3-a456-426614174000"], ["123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-42661417400g"]),
        ("email", ["user.name+tag@example.co.uk", "a@b.io"], ["user@localhost", ".user@example.com", "user@-example.com"]),
        ("ipv4", ["192.168.0.1", "0.0.0.0", "255.255.255.255"], ["256.1.1.1", "01.2.3.4", "1.2.3"]),
    ])
    func formatsAcceptValidValuesOnly(_ format: String, _ valid: [String], _ invalid: [String]) throws {
        let g = try schema(#"{"type": "string", "format": "\#(format)"}"#)
        for v in valid { #expect(try g.accepts("\"\(v)\""), "\(v)") }
        for v in invalid { #expect(try !g.accepts("\"\(v)\""), "\(v)") }
    }

    @Test func propertiesComeInSchemaOrderAndOptionalOnesMayBeSkipped() throws {
        let g = try schema(
            #"{"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "boolean"}, "c": {"type": "null"}}, "required": ["b"]}"#)
        #expect(try g.accepts(#"{"b": true}"#))
        #expect(try g.accepts(#"{"a": 1, "b": false, "c": null}"#))
        #expect(try g.accepts("{\n  \"a\": 1,\n  \"b\": true\n}"))
        #expect(try !g.accepts(#"{"a": 1}"#))
        #expect(try !g.accepts(#"{"b": true, "a": 1}"#))
        #expect(try !g.accepts(#"{"b": true, "d": 1}"#))
        #expect(try !g.accepts(#"{"b":  true}"#))  // two spaces: beyond the whitespace rule
    }

    @Test func additionalPropertiesFollowTheirSchemaAndNeverRepeatAListedKey() throws {
        let g = try schema(#"{"type": "object", "properties": {"kind": {"const": "x"}}, "additionalProperties": {"type": "integer"}}"#)
        #expect(try g.accepts(#"{"kind": "x", "n": 1, "m": 2}"#))
        #expect(try g.accepts(#"{"n": 1}"#))
        #expect(try g.accepts(#"{"kinds": 1}"#))
        #expect(try !g.accepts(#"{"kind": "x", "kind": 1}"#))
        #expect(try !g.accepts(#"{"n": "one"}"#))
        let closed = try schema(#"{"type": "object", "properties": {"a": {}}, "additionalProperties": false}"#)
        #expect(try !closed.accepts(#"{"b": 1}"#))
        let anyObject = try schema(#"{"type": "object"}"#)
        #expect(try anyObject.accepts(#"{"x": [1, {"y": null}], "z": "w"}"#))
    }

    @Test func arraysHonourPrefixItemsItemsAndCounts() throws {
        let g = try schema(
            #"{"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": {"type": "boolean"}, "minItems": 1, "maxItems": 3}"#)
        #expect(try g.accepts(#"["a"]"#))
        #expect(try g.accepts(#"["a", 1, true]"#))
        #expect(try !g.accepts("[]"))
        #expect(try !g.accepts(#"["a", 1, true, false]"#))
        #expect(try !g.accepts(#"[1]"#))
        let closed = try schema(#"{"type": "array", "prefixItems": [{"type": "null"}], "items": false}"#)
        #expect(try closed.accepts("[null]"))
        #expect(try closed.accepts("[]"))
        #expect(try !closed.accepts("[null, null]"))
    }

    @Test func enumsConstsAndTypeListsAreAlternatives() throws {
        let g = try schema(#"{"type": ["string", "null"], "enum": ["a", null, 3]}"#)
        #expect(try g.accepts(#""a""#))
        #expect(try g.accepts("null"))
        #expect(try !g.accepts("3"))
        let types = try schema(#"{"type": ["integer", "boolean"]}"#)
        #expect(try types.accepts("7"))
        #expect(try types.accepts("false"))
        #expect(try !types.accepts("7.5"))
    }

    @Test func referencesResolveAndMayRecurse() throws {
        let g = try schema(
            ##"{"$defs": {"list": {"type": "object", "properties": {"v": {"type": "integer"}, "next": {"anyOf": [{"$ref": "#/$defs/list"}, {"type": "null"}]}}, "required": ["v", "next"]}}, "$ref": "#/$defs/list"}"##)
        #expect(try g.accepts(#"{"v": 1, "next": {"v": 2, "next": null}}"#))
        #expect(try !g.accepts(#"{"v": 1, "next": {"v": 2}}"#))
        let root = try schema(##"{"type": "array", "items": {"$ref": "#"}}"##)
        #expect(try root.accepts("[[], [[]]]"))
        let definitions = try schema(##"{"definitions": {"a": {"const": 1}}, "properties": {"x": {"$ref": "#/definitions/a"}}}"##)
        #expect(try definitions.accepts(#"{"x": 1}"#))
    }

    @Test func oneOfIsEnforcedWhenItsBranchesCannotOverlap() throws {
        let g = try schema(#"{"oneOf": [{"type": "string"}, {"type": "integer"}]}"#)
        #expect(try g.accepts("1"))
        let tagged = try schema(
            #"{"oneOf": [{"properties": {"t": {"const": "a"}}, "required": ["t"]}, {"properties": {"t": {"const": "b"}, "n": {"type": "integer"}}, "required": ["t"]}]}"#)
        #expect(try tagged.accepts(#"{"t": "b", "n": 2}"#))
    }

    @Test func emptyAndTrueSchemasAcceptAnyValueAndAnnotationsAreIgnored() throws {
        for text in ["{}", "true"] {
            let g = try schema(text)
            for value in ["1", #""s""#, "[null, {}]", "false"] { #expect(try g.accepts(value)) }
        }
        let annotated = try schema(
            #"{"title": "T", "description": "d", "default": 1, "examples": [1], "$schema": "x", "$id": "y", "$comment": "c", "deprecated": false, "readOnly": true, "writeOnly": false, "type": "integer"}"#)
        #expect(try annotated.accepts("1"))
    }

    @Test func anyJSONIsAnObjectAtTheTop() throws {
        #expect(try Grammar.anyJSON.accepts(#"{"a": [1, "b", {"c": null}], "d": -1.5e3}"#))
        #expect(try Grammar.anyJSON.accepts("{}"))
        #expect(try !Grammar.anyJSON.accepts("[1]"))
        #expect(try !Grammar.anyJSON.accepts("1"))
    }

    @Test(arguments: [
        (#"{"type": "integer", "multipleOf": 3}"#, "/multipleOf", "multipleOf"),
        (#"{"properties": {"age": {"type": "integer", "minimum": 0, "exclusiveMinimum": 0, "not": {}}}}"#, "/properties/age/not", "not"),
        (#"{"type": "array", "uniqueItems": true}"#, "/uniqueItems", "uniqueItems"),
        (#"{"patternProperties": {"^a": {}}}"#, "/patternProperties", "patternProperties"),
        (#"{"if": {}, "then": {}}"#, "/if", "if"),
        (#"{"properties": {"a/b": {"minProperties": 1}}}"#, "/properties/a~1b/minProperties", "minProperties"),
        (#"{"oneOf": [{"type": "integer"}, {"type": "number"}]}"#, "/oneOf", "could both match"),
        (#"{"allOf": [{"type": "integer"}, {"minimum": 1}]}"#, "/allOf", "more than one"),
        (#"{"$ref": "https://example.com/s.json"}"#, "/$ref", "local references"),
        (#"{"type": "number", "minimum": 0.5}"#, "/minimum", "whole number"),
        (#"{"type": "string", "format": "uri"}"#, "/format", "not supported"),
        (#"{"type": "string", "pattern": "(a)\\1"}"#, "/pattern", "backreferences"),
        (#"{"properties": {"x": false}}"#, "/properties/x", "matches no value"),
        (#"{"type": "integer", "minimum": 5, "maximum": 4}"#, "", "no integer"),
        (##"{"$ref": "#", "type": "integer"}"##, "/type", "next to \"$ref\""),
        (##"{"anyOf": [{"$ref": "#"}, {"type": "null"}]}"##, "", "refers to itself"),
        (#"{"type": "strin"}"#, "/type", "unknown type"),
    ])
    func unenforceableSchemasAreRefusedWithAPointer(_ text: String, _ pointer: String, _ reason: String) {
        #expect {
            try Grammar.jsonSchema(JSON.parse(text))
        } throws: { error in
            guard case .jsonSchema(let p, let r) = error as? GrammarError else { return false }
            return p == pointer && r.contains(reason)
        }
    }

    /// Outputs of random walks parse as JSON and satisfy the schema, checked by an independent
    /// validator.
    @Test(arguments: [
        #"{"type": "object", "properties": {"name": {"type": "string", "maxLength": 6}, "age": {"type": "integer", "minimum": 0, "maximum": 120}, "tags": {"type": "array", "items": {"enum": ["a", "bc", "é"]}, "maxItems": 3}}, "required": ["name"]}"#,
        ##"{"$defs": {"node": {"type": "object", "properties": {"id": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}, "required": ["id"]}}, "$ref": "#/$defs/node"}"##,
        #"{"anyOf": [{"type": "number", "minimum": -3, "exclusiveMaximum": 5}, {"type": "string", "minLength": 2}, {"type": "null"}, {"type": "boolean"}]}"#,
        #"{"type": "object", "properties": {"kind": {"const": "x"}, "value": {}}, "additionalProperties": {"type": "integer"}}"#,
        #"{"type": "array", "prefixItems": [{"type": "string", "pattern": "^[a-c]+\\d?$"}, {"type": "string", "format": "date"}], "items": false, "minItems": 1}"#,
        #"{"type": "array", "items": {"type": "string", "format": "time"}, "minItems": 1, "maxItems": 2}"#,
        #"{"oneOf": [{"type": "object", "properties": {"t": {"const": "a"}, "x": {"type": "number", "exclusiveMinimum": 0}}, "required": ["t", "x"]}, {"type": "object", "properties": {"t": {"const": "b"}, "ip": {"type": "string", "format": "ipv4"}}, "required": ["t"]}]}"#,
    ])
    func randomWalkOutputsAreValidUnderTheSchema(_ text: String) throws {
        let schemaJSON = try JSON.parse(text)
        let compiled = try TestVocabulary.compiler.compile(Grammar.jsonSchema(schemaJSON))
        let checker = SchemaChecker(root: schemaJSON)
        var walker = RandomWalker(grammar: compiled, random: SplitMix64(state: 23))
        walker.checkMasks = false
        let (outputs, _) = walker.walks(80, maxTokens: 120)
        #expect(outputs.count > 10)
        for output in outputs {
            let value = try JSON.parse(output)
            #expect(checker.isValid(value), "\(String(decoding: output, as: UTF8.self).debugDescription)")
        }
    }
}
