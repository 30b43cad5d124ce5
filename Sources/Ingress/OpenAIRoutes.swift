import Foundation
import HTTPTypes
import Hummingbird
import Jinja
import LightServeCore

/// OpenAI-compatible endpoints: `/v1/completions`, `/v1/chat/completions` (streaming as
/// `data: {...}` chunks ending with `data: [DONE]`) and `/v1/models`, in the shapes the official
/// `openai` client expects, with errors as `{"error": {...}}`.
public struct OpenAIRoutes: Sendable {
    let pipeline: PipelineClient
    let configuration: IngressConfiguration
    private let support: HandlerSupport

    public init(pipeline: PipelineClient, configuration: IngressConfiguration) {
        self.pipeline = pipeline
        self.configuration = configuration
        self.support = HandlerSupport(pipeline: pipeline, maxBodyBytes: configuration.maxBodyBytes)
    }

    public func register(on router: Router<ServerRequestContext>) {
        router.get("/v1/models") { _, _ in json(.object([("object", "list"), ("data", .array([modelObject]))])) }
        router.get("/v1/models/{id}") { _, context in
            guard context.parameters.get("id") == configuration.modelName else {
                throw APIError(.notFound, "the model '\(context.parameters.get("id") ?? "")' does not exist; this server serves '\(configuration.modelName)'", parameter: "model")
            }
            return json(modelObject)
        }
        router.post("/v1/completions") { request, context in try await complete(request, context, endpoint: .completions) }
        router.post("/v1/chat/completions") { request, context in try await complete(request, context, endpoint: .chat) }
        LightLLMRoutes.registerMethodNotAllowed(
            [("/v1/models", [.get]), ("/v1/completions", [.post]), ("/v1/chat/completions", [.post])], on: router)
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
            chatMaxTokens: configuration.chatMaxNewTokens, maxTokensLimit: configuration.maxNewTokensLimit)
        let prompts: [PromptInput]
        switch endpoint {
        case .completions:
            prompts = parsed.prompts
        case .chat:
            guard let chat = configuration.chat else {
                throw APIError(.badRequest, "this model has no chat template; start the server with --chat-template FILE")
            }
            prompts = [.text(try await chat.render(parsed.messages))]
        }
        var submitted: [RequestEvents] = []
        do {
            for prompt in prompts {
                submitted.append(try await pipeline.submit(
                    kind: .generate, input: prompt, options: parsed.options, context: context, endpoint: request.uri.path))
            }
        } catch {
            await support.cancel(submitted)
            throw error
        }
        let echoes = parsed.echo ? try await echoTexts(prompts, context) : Array(repeating: "", count: prompts.count)
        let responses = OpenAIResponses(
            id: (endpoint == .chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
            created: Int(Date().timeIntervalSince1970), model: configuration.modelName, endpoint: endpoint)
        if parsed.stream {
            return try await stream(context, submitted, parsed: parsed, echoes: echoes, responses: responses)
        }
        return try await support.whileConnected(context, submitted) {
            var choices: [(index: Int, prefix: String, sequence: GenerationCollector.Sequence)] = []
            var promptTokens = 0
            var completionTokens = 0
            for (p, events) in submitted.enumerated() {
                var collector = GenerationCollector(options: parsed.options)
                while !collector.isComplete, let event = await events.next() {
                    switch event {
                    case .accepted(let count): promptTokens += count
                    case .tokens(let tokens): collector.add(tokens)
                    default: try HandlerSupport.failIfTerminal(event)
                    }
                }
                guard collector.isComplete else { throw CancellationError() }
                completionTokens += collector.sequences.reduce(0) { $0 + $1.tokens.count }
                for (j, sequence) in collector.best.enumerated() {
                    choices.append((p * parsed.options.returnCount + j, echoes[p], sequence))
                }
            }
            return json(responses.response(
                choices, usage: OpenAIResponses.usage(prompt: promptTokens, completion: completionTokens),
                logprobs: parsed.logprobs))
        }
    }

    /// Streams every prompt's choices as chunks, interleaved as tokens arrive.
    private func stream(
        _ context: ServerRequestContext, _ submitted: [RequestEvents], parsed: OpenAIRequest, echoes: [String],
        responses: OpenAIResponses
    ) async throws -> Response {
        let promptTokens = try await support.awaitAdmission(context, submitted).reduce(0, +)
        let n = parsed.options.returnCount
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await support.whileConnected(context, submitted) {
                let (merged, continuation) = AsyncStream<(Int, RequestEvent?)>.makeStream()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (p, events) in submitted.enumerated() {
                        group.addTask {
                            while let event = await events.next() { continuation.yield((p, event)) }
                            continuation.yield((p, nil))
                        }
                    }
                    var offsets = [Int](repeating: 0, count: submitted.count * n)
                    var started = Set<Int>()
                    var unfinished = submitted.count * n
                    var completionTokens = 0
                    for (p, index) in (0..<submitted.count).flatMap({ p in (0..<n).map { (p, p * n + $0) } }) {
                        let chunk = responses.chunk(
                            index: index, text: echoes[p], tokens: [], offset: 0, logprobs: false, finish: nil,
                            role: parsed.endpoint == .chat)
                        try await writer.write(Self.sse(chunk))
                        started.insert(index)
                        offsets[index] = echoes[p].count
                    }
                    for await (p, event) in merged {
                        guard let event else { throw CancellationError() }
                        switch event {
                        case .tokens(let tokens):
                            for token in tokens {
                                let index = p * n + token.sequence
                                completionTokens += 1
                                if token.text.isEmpty && token.finishReason == nil && !parsed.logprobs { continue }
                                let chunk = responses.chunk(
                                    index: index, text: token.text, tokens: [token], offset: offsets[index],
                                    logprobs: parsed.logprobs, finish: token.finishReason)
                                offsets[index] += token.text.count
                                try await writer.write(Self.sse(chunk))
                                if token.finishReason != nil { unfinished -= 1 }
                            }
                        case .failed(let message):
                            let error = APIError(.internalServerError, message).openAIJSON
                            try await writer.write(Self.sse(error))
                            unfinished = 0
                        default:
                            continue
                        }
                        if unfinished == 0 { break }
                    }
                    group.cancelAll()
                    if parsed.includeUsage {
                        try await writer.write(Self.sse(responses.usageChunk(
                            OpenAIResponses.usage(prompt: promptTokens, completion: completionTokens))))
                    }
                    try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                }
            }
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
            case .tokens:
                let events = try await pipeline.submit(
                    kind: .detokenize, input: prompt, options: GenerationOptions(skipSpecialTokens: false), context: context,
                    endpoint: "/v1/completions")
                var text = ""
                while let event = await events.next() {
                    if case .detokenized(let decoded) = event {
                        text = decoded
                        break
                    }
                    try HandlerSupport.failIfTerminal(event)
                }
                texts.append(text)
            }
        }
        return texts
    }

    private static func sse(_ value: JSON) -> ByteBuffer {
        ByteBuffer(string: "data: " + value.serialized + "\n\n")
    }
}

extension APIError {
    /// OpenAI's error object, for errors inside a stream.
    var openAIJSON: JSON {
        .object([("error", .object([("message", .string(message)), ("type", "server_error"), ("param", .null), ("code", .null)]))])
    }
}
