import HTTPTypes
import Hummingbird
import Jinja
import LightServeCore

/// Client-side debugging helpers: render a chat template (as llama.cpp's `/apply-template`),
/// tokenize and detokenize with the served model's tokenizer.
public struct UtilityRoutes: Sendable {
    let pipeline: PipelineClient
    let configuration: IngressConfiguration
    private let support: HandlerSupport

    public init(pipeline: PipelineClient, configuration: IngressConfiguration) {
        self.pipeline = pipeline
        self.configuration = configuration
        self.support = HandlerSupport(pipeline: pipeline, maxBodyBytes: configuration.maxBodyBytes)
    }

    public func register(on router: Router<ServerRequestContext>) {
        router.post("/apply_chat_template") { request, _ in try await applyChatTemplate(request) }
        router.post("/tokenize") { request, context in try await tokenize(request, context) }
        router.post("/detokenize") { request, context in try await detokenize(request, context) }
        LightLLMRoutes.registerMethodNotAllowed(
            [("/apply_chat_template", [.post]), ("/tokenize", [.post]), ("/detokenize", [.post])], on: router)
    }

    /// `{"messages", "add_generation_prompt"?, "bos_token"?, "eos_token"?}` → `{"prompt"}`; a
    /// template that raises answers 400 with its own message.
    private func applyChatTemplate(_ request: Request) async throws -> Response {
        var request = request
        let body = try await support.readJSON(&request)
        let fields = try ParameterReader(body)
        guard let chat = configuration.chat else {
            throw APIError(.badRequest, "this model has no chat template; start the server with --chat-template FILE")
        }
        let messages = try OpenAIRequest.parseMessages(body["messages"])
        let addGenerationPrompt = try fields.bool("add_generation_prompt", default: true)
        func token(_ name: String, _ fallback: String) throws(APIError) -> String {
            guard let value = body[name], value != .null else { return fallback }
            guard case .string(let s) = value else { throw APIError.invalid(name, "must be a string") }
            return s
        }
        let prompt = try await chat.render(
            messages, addGenerationPrompt: addGenerationPrompt, bosToken: try token("bos_token", chat.bosToken),
            eosToken: try token("eos_token", chat.eosToken))
        return json(.object([("prompt", .string(prompt))]))
    }

    /// `{"text"}` (or llama.cpp's `{"content"}`) → `{"ids"}`.
    private func tokenize(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        var request = request
        let body = try await support.readJSON(&request)
        let fields = try ParameterReader(body)
        guard case .string(let text)? = body["text"] ?? body["content"] else {
            throw APIError.invalid("text", "is required and must be a string")
        }
        let options = GenerationOptions(addSpecialTokens: try fields.bool("add_special_tokens", default: false))
        let events = try await pipeline.submit(kind: .tokenize, input: .text(text), options: options, context: context, endpoint: "/tokenize")
        while let event = await events.next() {
            if case .tokenized(let ids) = event { return json(.object([("ids", .array(ids.map { .int(Int64($0)) }))])) }
            try HandlerSupport.failIfTerminal(event)
        }
        throw CancellationError()
    }

    /// `{"ids"}` (or llama.cpp's `{"tokens"}`) → `{"text"}`; special tokens shown unless
    /// `skip_special_tokens` is true.
    private func detokenize(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        var request = request
        let body = try await support.readJSON(&request)
        let fields = try ParameterReader(body)
        guard case .array(let items)? = body["ids"] ?? body["tokens"] else {
            throw APIError.invalid("ids", "is required and must be a list of token ids")
        }
        var ids: [Int32] = []
        for item in items {
            guard case .int(let i) = item, let id = Int32(exactly: i) else {
                throw APIError.invalid("ids", "must hold integers, found \(item.serialized)")
            }
            ids.append(id)
        }
        let options = GenerationOptions(skipSpecialTokens: try fields.bool("skip_special_tokens", default: false))
        let events = try await pipeline.submit(kind: .detokenize, input: .tokens(ids), options: options, context: context, endpoint: "/detokenize")
        while let event = await events.next() {
            if case .detokenized(let text) = event { return json(.object([("text", .string(text))])) }
            try HandlerSupport.failIfTerminal(event)
        }
        throw CancellationError()
    }
}
