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
        let r = try ParameterReader(body)
        let f = UtilityFields.ChatTemplate()
        let prompt = ChatPrompt(
            messages: try OpenAIRequest.parseMessages(body[f.messages.name]), tools: try OpenAIRequest.parseTools(body[f.tools.name]),
            addGenerationPrompt: try r.bool(f.addGenerationPrompt), bosToken: try r.string(f.bosToken),
            eosToken: try r.string(f.eosToken))
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
        let r = try ParameterReader(body)
        let f = UtilityFields.Tokenize()
        let (text, content) = (try r.string(f.text), try r.string(f.content))
        guard let text = text ?? content else {
            throw APIError.invalid("text", "is required and must be a string")
        }
        let options = GenerationOptions(addSpecialTokens: try r.bool(f.addSpecialTokens))
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
        let r = try ParameterReader(body)
        let f = UtilityFields.Detokenize()
        let (ids, tokens) = (try Self.tokenIDs(r, f.ids), try Self.tokenIDs(r, f.tokens))
        guard let ids = ids ?? tokens else {
            throw APIError.invalid("ids", "is required and must be a list of token ids")
        }
        let options = GenerationOptions(skipSpecialTokens: try r.bool(f.skipSpecialTokens))
        let events = try await pipeline.submit(kind: .detokenize, input: .tokens(ids), options: options, context: context, endpoint: "/detokenize")
        let text = try await support.answer(context, events) { event in
            if case .detokenized(let text) = event { text } else { nil }
        }
        return json(.object([("text", .string(text))]))
    }

    /// A list of 32-bit token ids; nil when absent. Whether each is in the vocabulary is the
    /// Detokenize stage's check.
    private static func tokenIDs(_ r: ParameterReader, _ field: RequestField) throws(APIError) -> [Int32]? {
        guard let value = r[field.name] else { return nil }
        guard case .array(let items) = value else { throw APIError.invalid(field.name, "must be a list of token ids") }
        var ids: [Int32] = []
        for item in items {
            guard case .int(let i) = item, let id = Int32(exactly: i) else {
                throw APIError.invalid(field.name, "must hold integers, found \(item.serialized)")
            }
            ids.append(id)
        }
        return ids
    }
}
