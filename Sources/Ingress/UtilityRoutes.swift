import Hummingbird
import LightServeCore

/// Client-side debugging helpers: render a chat template (as llama.cpp's `/apply-template`),
/// tokenize and detokenize with the served model's tokenizer. Each goes through the Tokenize
/// stage, which owns the tokenizer and the template.
public struct UtilityRoutes: Sendable {
    private let support: HandlerSupport
    private var pipeline: PipelineClient { support.pipeline }
    private var configuration: IngressConfiguration { support.configuration }

    public init(_ support: HandlerSupport) {
        self.support = support
    }

    /// The routes, for the server's ``RouteTable``.
    public var routes: RouteCollection<ServerRequestContext> {
        let routes = RouteCollection(context: ServerRequestContext.self)
        routes.post("/apply_chat_template") { request, context in try await applyChatTemplate(request, context) }
        routes.post("/tokenize") { request, context in try await tokenize(request, context) }
        routes.post("/detokenize") { request, context in try await detokenize(request, context) }
        return routes
    }

    /// `{"messages", "tools"?, "add_generation_prompt"?, "bos_token"?, "eos_token"?}` →
    /// `{"prompt"}`; a template that raises answers 400 with its own message.
    private func applyChatTemplate(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        var request = request
        let body = try await support.readJSON(&request)
        let fields = try ParameterReader(body)
        func token(_ name: String) throws(APIError) -> String? {
            guard let value = body[name], value != .null else { return nil }
            guard case .string(let s) = value else { throw APIError.invalid(name, "must be a string") }
            return s
        }
        let prompt = ChatPrompt(
            messages: try OpenAIRequest.parseMessages(body["messages"]), tools: try OpenAIRequest.parseTools(body["tools"]),
            addGenerationPrompt: try fields.bool("add_generation_prompt", default: true), bosToken: try token("bos_token"),
            eosToken: try token("eos_token"))
        let events = try await pipeline.submit(
            kind: .renderChat, input: .chat(prompt), options: GenerationOptions(), context: context, endpoint: "/apply_chat_template")
        let text = try await support.answer(context, events) { event in
            if case .rendered(let text) = event { text } else { nil }
        }
        return json(.object([("prompt", .string(text))]))
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
        let ids = try await support.answer(context, events) { event in
            if case .tokenized(let ids) = event { ids } else { nil }
        }
        return json(.object([("ids", .array(ids.map { .int(Int64($0)) }))]))
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
        let text = try await support.answer(context, events) { event in
            if case .detokenized(let text) = event { text } else { nil }
        }
        return json(.object([("text", .string(text))]))
    }
}
