import Foundation
import Ingress
import LightServeCore
import LoadClient
import TestSupport
import Testing

extension EndpointTests {
    /// A model without `tokenizer.chat_template` (a base model, like Gemma 3 270M): chat is
    /// refused with a pointer to `--chat-template` instead of a guessed format; everything else
    /// works.
    @Suite struct TemplatelessModel {
        static func withServer(_ body: (TestServer) async throws -> Void) async throws {
            let synthetic = SyntheticModel(.llama)
            let path = TestPaths.temporaryFile()
            try synthetic.write(to: path)
            try await TestServer.with(["--max-total-tokens", "256"], model: path, body)
        }

        @Test func testChatWithoutTemplateIs400NamingTheFlag() async throws {
            try await Self.withServer { server in
                let (status, json) = try await server.postJSON(
                    "/v1/chat/completions", #"{"model": "x", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}"#)
                #expect(status == 400)
                let message = json["error"]?["message"]?.string ?? ""
                #expect(message.contains("no chat template") && message.contains("--chat-template"), "\(message)")
            }
        }

        @Test func testCompletionsAndLightLLMRoutesStillWork() async throws {
            try await Self.withServer { server in
                let (status, json) = try await server.postJSON(
                    "/v1/completions", #"{"model": "x", "prompt": "abc", "max_tokens": 3, "temperature": 0, "ignore_eos": true}"#)
                #expect(status == 200)
                #expect(json["usage"]?["completion_tokens"] == .int(3))
                let generate = try await server.post("/generate", #"{"inputs": "abc", "parameters": {"max_new_tokens": 2, "ignore_eos": true}}"#)
                #expect(generate.status == 200)
                let name = try JSON.parse(try await server.get("/get_model_name").body)
                #expect(name["architecture"] == .string("llama") && name["quantization"] == .string("F32"))
            }
        }
    }
}
