import Foundation
import Hummingbird
import LightServeCore

/// OpenAI-compatible endpoints under `/v1`: `/completions`, `/chat/completions` (streaming as
/// `data: {...}` chunks ending with `data: [DONE]`) and `/models`, in the shapes the official
/// `openai` client expects, with errors as `{"error": {...}}`.
public struct OpenAIRoutes: Sendable {
    private let support: HandlerSupport
    private var pipeline: PipelineClient { support.pipeline }
    private var configuration: IngressConfiguration { support.configuration }

    public init(_ support: HandlerSupport) {
        self.support = support
    }

    /// The routes, relative to `/v1`, for the server's ``RouteTable``.
    public var routes: RouteCollection<ServerRequestContext> {
        let routes = RouteCollection(context: ServerRequestContext.self)
        routes.get("/models") { _, _ in json(.object([("object", "list"), ("data", .array([modelObject]))])) }
        routes.get("/models/{id}") { _, context in
            guard context.parameters.get("id") == configuration.modelName else {
                throw APIError(.notFound, "the model '\(context.parameters.get("id") ?? "")' does not exist; this server serves '\(configuration.modelName)'", parameter: "model")
            }
            return json(modelObject)
        }
        routes.post("/completions") { request, context in try await complete(request, context, endpoint: .completions) }
        routes.post("/chat/completions") { request, context in try await complete(request, context, endpoint: .chat) }
        return routes
    }

    private var modelObject: JSON {
        .object([
            ("id", .string(configuration.modelName)), ("object", "model"), ("created", .int(Int64(configuration.startedAt))),
            ("owned_by", "lightserve"), ("architecture", .string(configuration.architecture)),
            ("quantization", .string(configuration.quantization)),
        ])
    }

    // MARK: Completions

    private func complete(_ request: Request, _ context: ServerRequestContext, endpoint: OpenAIRequest.Endpoint) async throws -> Response {
        var request = request
        let body = try await support.readJSON(&request)
        let parsed = try OpenAIRequest.parse(
            body, endpoint: endpoint, defaultMaxTokens: configuration.defaultMaxNewTokens,
            chatMaxTokens: configuration.chatMaxNewTokens, maxTokensLimit: configuration.maxNewTokensLimit,
            toolCallFormat: configuration.toolCallFormat, reasoning: configuration.reasoning)
        let echoes = parsed.echo ? try await echoTexts(parsed.prompts, context) : Array(repeating: "", count: parsed.prompts.count)
        let submitted = try await support.generation.submit(parsed.call, context: context, endpoint: request.uri.path)
        let responses = OpenAIResponses(
            id: (endpoint == .chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
            created: Int(Date().timeIntervalSince1970), model: configuration.modelName, endpoint: endpoint,
            reasoning: parsed.call.output.reasoning != nil)
        guard parsed.stream else {
            let result = try await submitted.collect()
            return json(responses.response(result, echoes: echoes, logprobs: parsed.logprobs))
        }
        let admitted = try await submitted.admission()
        let promptTokens = admitted.promptTokens.reduce(0, +)
        let format = EventStreamFormat.openAI
        return Response(status: .ok, headers: EventStreamFormat.headers, body: ResponseBody { writer in
            let n = parsed.options.returnCount
            var offsets = [Int](repeating: 0, count: echoes.count * n)
            for index in offsets.indices {
                let echo = echoes[index / n]
                try await writer.write(format.event(responses.chunk(
                    index: index, text: echo, tokens: [], offset: 0, logprobs: false, finish: .null, role: endpoint == .chat)))
                offsets[index] = echo.count
            }
            var calledTools = Set<Int>()
            let completionTokens = try await admitted.stream { event in
                switch event {
                case .token(let delta):
                    let reading = delta.reading
                    if !reading.toolCalls.isEmpty { calledTools.insert(delta.choice) }
                    let quiet = reading.content.isEmpty && reading.reasoning.isEmpty && reading.toolCalls.isEmpty && !parsed.logprobs
                    if quiet && delta.finishReason == nil { return }
                    let finish = delta.finishReason.map {
                        OpenAIResponses.finishReason($0, calledTools: calledTools.contains(delta.choice))
                    } ?? .null
                    try await writer.write(format.event(responses.chunk(
                        index: delta.choice, text: reading.content, tokens: [delta.token], offset: offsets[delta.choice],
                        logprobs: parsed.logprobs, finish: finish, toolCalls: reading.toolCalls, reasoning: reading.reasoning)))
                    offsets[delta.choice] += reading.content.count
                case .failed(let message):
                    try await writer.write(format.event(APIError(.internalServerError, message).openAIJSON))
                }
            }
            if parsed.includeUsage {
                try await writer.write(format.event(responses.usageChunk(
                    OpenAIResponses.usage(prompt: promptTokens, completion: completionTokens))))
            }
            try await writer.write(format.done)
            try await writer.finish(nil)
        })
    }

    /// The prompts' text, for `echo`: text prompts as given, token prompts decoded.
    private func echoTexts(_ prompts: [PromptInput], _ context: ServerRequestContext) async throws -> [String] {
        var texts: [String] = []
        for prompt in prompts {
            switch prompt {
            case .text(let text):
                texts.append(text)
            case .tokens, .chat:
                let events = try await pipeline.submit(
                    kind: .detokenize, input: prompt, options: GenerationOptions(skipSpecialTokens: false), context: context,
                    endpoint: "/v1/completions")
                texts.append(try await support.answer(context, events) { event in
                    if case .detokenized(let text) = event { text } else { nil }
                })
            }
        }
        return texts
    }
}

extension APIError {
    /// OpenAI's error object, for errors inside a stream.
    var openAIJSON: JSON {
        .object([("error", .object([("message", .string(message)), ("type", "server_error"), ("param", .null), ("code", .null)]))])
    }
}
