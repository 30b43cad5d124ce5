import HTTPTypes
import LightServeCore
import Testing

@testable import Ingress

@Suite struct LightLLMRequestTests {
    static func parse(_ body: String) throws(APIError) -> LightLLMRequest {
        let json: JSON
        do {
            json = try JSON.parse(Array(body.utf8))
        } catch {
            throw APIError(.badRequest, "bad json in test")
        }
        return try LightLLMRequest.parse(json, defaultMaxNewTokens: 16, maxNewTokensLimit: 8191)
    }

    static func message(_ body: String) -> String? {
        do {
            _ = try parse(body)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func testDefaultsMatchLightLLM() throws {
        let r = try Self.parse(#"{"inputs": "hi"}"#)
        #expect(r.input == .text("hi"))
        #expect(r.options.maxNewTokens == 16)
        #expect(r.options.sampling == SamplingParameters())
        #expect(r.options.bestOf == 1 && r.options.returnCount == 1)
        #expect(r.options.skipSpecialTokens && r.options.addSpecialTokens && !r.options.printEOSToken)
        #expect(r.options.includeStopSequence)
        #expect(!r.returnDetails && r.stream == nil)
    }

    @Test func testEveryParameterIsRead() throws {
        let r = try Self.parse(
            #"{"inputs": [1, 2], "stream": true, "parameters": {"do_sample": true, "temperature": 0.7, "top_p": 0.9, "top_k": 40, "presence_penalty": 0.5, "frequency_penalty": 0.25, "repetition_penalty": 1.2, "ignore_eos": true, "max_new_tokens": 32, "min_new_tokens": 4, "stop_sequences": "END", "best_of": 4, "n": 2, "skip_special_tokens": false, "add_special_tokens": false, "print_eos_token": true, "return_details": true, "seed": 123}}"#
        )
        #expect(r.input == .tokens([1, 2]))
        #expect(r.stream == true)
        let s = r.options.sampling
        #expect(s.doSample && s.temperature == 0.7 && s.topP == 0.9 && s.topK == 40)
        #expect(s.presencePenalty == 0.5 && s.frequencyPenalty == 0.25 && s.repetitionPenalty == 1.2)
        #expect(s.ignoreEOS && s.minNewTokens == 4 && s.seed == 123)
        #expect(r.options.maxNewTokens == 32 && r.options.stopSequences == ["END"])
        #expect(r.options.bestOf == 4 && r.options.returnCount == 2)
        #expect(!r.options.skipSpecialTokens && !r.options.addSpecialTokens && r.options.printEOSToken)
        #expect(r.returnDetails)
    }

    @Test func testNBestOfDefaultsToBestOf() throws {
        #expect(try Self.parse(#"{"inputs": "x", "parameters": {"best_of": 3}}"#).options.returnCount == 3)
    }

    @Test(arguments: [
        (#"{"parameters": {}}"#, "inputs: is required"),
        (#"{"inputs": 5}"#, "inputs: must be a string or a list of token ids, got a number"),
        (#"{"inputs": [1, -2]}"#, "inputs: a token list must hold non-negative integers"),
        (#"{"inputs": "x", "parameters": 3}"#, "parameters: must be an object"),
        (#"{"inputs": "x", "parameters": {"do_sample": 1}}"#, "parameters.do_sample: must be true or false, got a number"),
        (#"{"inputs": "x", "parameters": {"temperature": 0}}"#, "parameters.temperature: must be greater than 0"),
        (#"{"inputs": "x", "parameters": {"temperature": "hot"}}"#, "parameters.temperature: must be a number, got a string"),
        (#"{"inputs": "x", "parameters": {"top_p": 1.5}}"#, "parameters.top_p: must be greater than 0 and at most 1"),
        (#"{"inputs": "x", "parameters": {"top_k": 0}}"#, "parameters.top_k: must be -1 or at least 1"),
        (#"{"inputs": "x", "parameters": {"presence_penalty": -1}}"#, "parameters.presence_penalty: must be between 0 and 100"),
        (#"{"inputs": "x", "parameters": {"repetition_penalty": 0.5}}"#, "parameters.repetition_penalty: must be between 1 and 100"),
        (#"{"inputs": "x", "parameters": {"max_new_tokens": 0}}"#, "parameters.max_new_tokens: must be between 1 and 8191"),
        (#"{"inputs": "x", "parameters": {"max_new_tokens": 2.5}}"#, "parameters.max_new_tokens: must be an integer"),
        (#"{"inputs": "x", "parameters": {"max_new_tokens": 4, "min_new_tokens": 5}}"#, "parameters.min_new_tokens: must be between 1 and max_new_tokens"),
        (#"{"inputs": "x", "parameters": {"stop_sequences": [1]}}"#, "parameters.stop_sequences: must be a string or a list of strings"),
        (#"{"inputs": "x", "parameters": {"stop_sequences": ["a","b","c","d","e","f","g","h","i","j","k"]}}"#, "parameters.stop_sequences: at most 10"),
        (#"{"inputs": "x", "parameters": {"best_of": 9}}"#, "parameters.best_of: must be between 1 and 8"),
        (#"{"inputs": "x", "parameters": {"best_of": 2, "n": 3}}"#, "parameters.n: must be between 1 and best_of"),
        (#"{"inputs": "x", "parameters": {"temperature": 1e308}}"#, "parameters.temperature: must be greater than 0 and at most 100"),
        (#"{"inputs": "x", "parameters": {"max_new_tokens": 9223372036854775807}}"#, "parameters.max_new_tokens: must be between 1 and 8191"),
        (#"{"inputs": "x", "parameters": {"seed": -1}}"#, "parameters.seed: must be an integer between 0 and 9223372036854775807"),
        (#"{"inputs": "x", "multimodal_params": {"images": [{"type": "url", "data": "x"}]}}"#, "multimodal_params.images: this model is text-only"),
    ])
    func testInvalidFieldIsNamedInTheMessage(body: String, expected: String) {
        let message = Self.message(body)
        #expect(message?.hasPrefix(expected) == true, "got \(message ?? "no error")")
    }

    @Test func testEmptyMultimodalParamsAreAccepted() throws {
        _ = try Self.parse(#"{"inputs": "x", "multimodal_params": {"images": [], "audios": []}}"#)
        _ = try Self.parse(#"{"inputs": "x", "multimodal_params": {}}"#)
    }

    @Test func testStreamingNeedsSingleSequence() throws {
        let r = try Self.parse(#"{"inputs": "x", "parameters": {"best_of": 2, "n": 1}}"#)
        #expect(throws: APIError.self) { try r.checkStreamable() }
    }

    @Test func testUnknownParametersAreIgnored() throws {
        _ = try Self.parse(#"{"inputs": "x", "parameters": {"not_a_knob": [1, 2, 3]}, "extra": true}"#)
    }

    @Test func testJSONSerializationKeepsOrderEscapesAndFloats() {
        let value: JSON = .object([("b", 1), ("a", .string("line\n\"q\"\u{1}")), ("f", 0.0), ("g", -0.5), ("n", nil)])
        #expect(value.serialized == #"{"b":1,"a":"line\n\"q\"\u0001","f":0.0,"g":-0.5,"n":null}"#)
    }

    @Test func testConstraintParametersBecomeOneConstraintNamingItsField() throws {
        let json = try Self.parse(#"{"inputs": "x", "parameters": {"guided_json": {"type": "object"}}}"#)
        #expect(json.options.constraint == OutputConstraint(.pattern(.jsonSchema(.object([("type", "object")]))), field: "parameters.guided_json"))
        let text = try Self.parse(#"{"inputs": "x", "parameters": {"guided_json": "{\"type\": \"string\"}"}}"#)
        #expect(text.options.constraint?.rule == .pattern(.jsonSchema(.object([("type", "string")]))))
        let regex = try Self.parse(#"{"inputs": "x", "parameters": {"regular_constraint": "[a-z]+"}}"#)
        #expect(regex.options.constraint?.rule == .pattern(.regex("[a-z]+")))
        let grammar = try Self.parse(#"{"inputs": "x", "parameters": {"guided_grammar": "root ::= \"yes\" | \"no\""}}"#)
        #expect(grammar.options.constraint?.rule == .pattern(.grammar(#"root ::= "yes" | "no""#)))
        let allowed = try Self.parse(#"{"inputs": "x", "parameters": {"allowed_token_ids": [3, 5]}}"#)
        #expect(allowed.options.constraint?.rule == .allowedTokens([3, 5]))
        #expect(try Self.parse(#"{"inputs": "x"}"#).options.constraint == nil)
    }

    @Test(arguments: [
        (#"{"guided_json": {"type": "object"}, "regular_constraint": "a"}"#, "parameters.regular_constraint: cannot be combined with parameters.guided_json"),
        (#"{"guided_json": "{not json"}"#, "parameters.guided_json: is not valid JSON"),
        (#"{"guided_json": 3}"#, "parameters.guided_json: must be a JSON Schema"),
        (#"{"regular_constraint": ""}"#, "parameters.regular_constraint: must be a non-empty string"),
        (#"{"allowed_token_ids": []}"#, "parameters.allowed_token_ids: must be a non-empty list"),
        (#"{"allowed_token_ids": [1, -1]}"#, "parameters.allowed_token_ids: a token list must hold non-negative integers"),
        (#"{"exponential_decay_length_penalty": [1, 0.5]}"#, "parameters.exponential_decay_length_penalty: must be [start, factor]"),
        (#"{"exponential_decay_length_penalty": [-1, 1.5]}"#, "parameters.exponential_decay_length_penalty: must be [start, factor]"),
        (#"{"exponential_decay_length_penalty": 2}"#, "parameters.exponential_decay_length_penalty: must be [start, factor]"),
        (#"{"input_penalty": 1}"#, "parameters.input_penalty: must be true or false"),
        (#"{"add_spaces_between_special_tokens": "yes"}"#, "parameters.add_spaces_between_special_tokens: must be true or false"),
        (#"{"return_all_prompt_logprobs": 0}"#, "parameters.return_all_prompt_logprobs: must be true or false"),
    ])
    func testBadLightLLMExtensionsAreNamed(parameters: String, expected: String) {
        let message = Self.message(#"{"inputs": "x", "parameters": \#(parameters)}"#)
        #expect(message?.contains(expected) == true, "got \(message ?? "no error")")
    }

    @Test func testLightLLMsSamplingExtensionsAreRead() throws {
        let r = try Self.parse(
            #"{"inputs": "x", "parameters": {"input_penalty": true, "exponential_decay_length_penalty": [4, 1.5], "return_all_prompt_logprobs": true}}"#)
        #expect(r.options.sampling.inputPenalty)
        #expect(r.options.sampling.lengthPenalty == SamplingParameters.LengthPenalty(start: 4, factor: 1.5))
        #expect(r.options.promptLogprobs == 0)
        #expect(SamplingParameters.LengthPenalty(start: 4, factor: 1.5).scale(after: 4) == 0)
        #expect(abs(SamplingParameters.LengthPenalty(start: 4, factor: 1.5).scale(after: 6) - 1.25) < 1e-6)
        #expect(SamplingParameters.LengthPenalty(start: 0, factor: 100).scale(after: 1_000_000).isFinite)
    }
}
