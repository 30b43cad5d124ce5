import ArgumentParser
import Foundation
import GGUF
import Grammar
import LightServeCore
import Tokenize

/// Structured generation's own costs on a model's vocabulary: compiling a schema the first time
/// and from the cache, and the per-token mask (`fillMask` plus `accept`) along a valid answer.
struct GrammarBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grammar", abstract: "JSON Schema compile time (new and cached) and per-token mask time.")

    @OptionGroup var model: BenchmarkModel

    @Option(name: .long, help: "Passes over each answer (every token of every pass is timed).")
    var passes = 20

    /// A family of schemas whose `variant(i)` differ in one property name, so each compiles anew;
    /// `answer` is valid under `variant(0)`.
    struct Case: Sendable {
        let name: String
        let variant: @Sendable (Int) -> String
        let answer: String
    }

    static let cases: [Case] = [
        Case(
            name: "tool call (3 typed arguments)",
            variant: { i in
                #"{"type":"object","properties":{"name":{"const":"get_weather"},"arguments":{"type":"object","properties":{"location\#(i)":{"type":"string"},"unit":{"enum":["celsius","fahrenheit"]},"days":{"type":"integer","minimum":1,"maximum":14}},"required":["location\#(i)","unit"]}},"required":["name","arguments"]}"#
            },
            answer: #"{"name": "get_weather", "arguments": {"location0": "San Francisco, CA", "unit": "celsius", "days": 3}}"#),
        Case(
            name: "nested objects, arrays, enums, maxLength",
            variant: { i in
                ##"{"type":"object","properties":{"title\##(i)":{"type":"string","maxLength":80},"tags":{"type":"array","items":{"type":"string"},"maxItems":5},"items":{"type":"array","items":{"$ref":"#/$defs/item"}},"valid":{"type":"boolean"}},"required":["title\##(i)","tags","items","valid"],"$defs":{"item":{"type":"object","properties":{"id":{"type":"integer","minimum":0},"kind":{"enum":["book","pen","cup"]},"price":{"type":"number","minimum":0}},"required":["id","kind","price"]}}}"##
            },
            answer: "{\n  \"title0\": \"A nested object\",\n  \"tags\": [\"alpha\", \"beta\"],\n  \"items\": [\n    {\"id\": 1, \"kind\": \"book\", \"price\": 12.5},\n    {\"id\": 2, \"kind\": \"pen\", \"price\": 0.99}\n  ],\n  \"valid\": true\n}"),
        Case(
            name: "strings with escapes",
            variant: { i in
                #"{"type":"object","properties":{"text\#(i)":{"type":"string"},"path":{"type":"string","maxLength":40}},"required":["text\#(i)","path"]}"#
            },
            answer: #"{"text0": "caf\u00e9 \"quoted\" \ud83d\ude00 tab\there\nnew line", "path": "C:\\Users\\Jos\u00e9\\file.txt"}"#),
        Case(
            name: "15 optional properties",
            variant: { i in
                let properties = (0..<15).map { k in
                    #""field\#(k)_\#(i)":{"type":"\#(["string", "integer", "boolean", "number"][k % 4])"}"#
                }
                return #"{"type":"object","properties":{\#(properties.joined(separator: ","))}}"#
            },
            answer: #"{"field0_0": "x", "field3_0": 2.5, "field6_0": true, "field13_0": 7, "field14_0": false}"#),
    ]

    func run() throws {
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: model.path, metadataOnly: true))
        let clock = ContinuousClock()
        var start = clock.now
        let compiler = GrammarCompiler(vocabulary: tokenizer.vocabulary.grammarVocabulary)
        let indexSeconds = (clock.now - start).seconds
        start = clock.now
        _ = try compiler.compile(.anyJSON)
        try printJSON([
            "benchmark": "grammar", "case": "setup", "vocabulary": tokenizer.vocabulary.count,
            "index_ms": round3(indexSeconds * 1000), "first_compile_any_json_ms": round3((clock.now - start).seconds * 1000),
        ])
        for c in Self.cases {
            var fresh: [Double] = []
            var compiled: CompiledGrammar?
            for i in 0..<7 {
                start = clock.now
                let grammar = try compiler.compile(try Grammar.jsonSchema(JSON.parse(Array(c.variant(i).utf8))))
                fresh.append((clock.now - start).seconds)
                if i == 0 { compiled = grammar }
            }
            var cached: [Double] = []
            for _ in 0..<21 {
                start = clock.now
                _ = try compiler.compile(try Grammar.jsonSchema(JSON.parse(Array(c.variant(0).utf8))))
                cached.append((clock.now - start).seconds)
            }
            guard let compiled else { continue }
            let ids = tokenizer.encode(c.answer, parseSpecial: false, addSpecial: false)
            var mask = TokenMask(count: tokenizer.vocabulary.count)
            var steps: [Double] = []
            for _ in 0..<passes {
                var matcher = compiled.makeMatcher()
                for id in ids {
                    start = clock.now
                    matcher.fillMask(&mask)
                    let accepted = mask.isAllowed(id) && matcher.accept(id)
                    steps.append((clock.now - start).seconds)
                    guard accepted else { throw ValidationError("\(c.name): the answer's token \(id) was refused") }
                }
                guard matcher.canEnd else { throw ValidationError("\(c.name): the answer does not complete the schema") }
            }
            fresh.sort()
            cached.sort()
            steps.sort()
            try printJSON([
                "benchmark": "grammar", "case": c.name, "states": compiled.stateCount,
                "mask_mb": round3(Double(compiled.maskMemorySize) / 1e6),
                "compile_new_ms_median": round3(fresh[fresh.count / 2] * 1000),
                "compile_new_ms_max": round3(fresh[fresh.count - 1] * 1000),
                "compile_cached_ms_median": round3(cached[cached.count / 2] * 1000),
                "answer_tokens": ids.count, "mask_steps": steps.count,
                "mask_ms_p50": round3(steps[steps.count / 2] * 1000),
                "mask_ms_p99": round3(steps[min(steps.count - 1, steps.count * 99 / 100)] * 1000),
                "mask_ms_max": round3(steps[steps.count - 1] * 1000),
            ])
        }
    }
}
