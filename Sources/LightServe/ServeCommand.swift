import ArgumentParser
import Detokenize
import Execute
import Foundation
import GGUF
import Grammar
import Hummingbird
import Ingress
import Jinja
import LightServeCore
import Logging
import Metrics
import Prometheus
import Schedule
import ServiceLifecycle
import Tokenize
import UnixSignals

/// `lightserve serve`: the HTTP server. Loads the model, builds the stages and the bounded
/// queues between them, and runs them next to Hummingbird until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the model over LightLLM's HTTP API.")

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var speculationOptions: SpeculationOptions

    @Option(help: "Address to listen on (default: 127.0.0.1 without an API key, 0.0.0.0 with one).")
    var host: String?

    @Option(help: "Port to listen on (0 picks a free one and prints it).")
    var port = 8080

    @Option(help: "Name reported by /get_model_name (default: the model file's name).")
    var modelName: String?

    @Option(help: "KV cache size in MiB; sets --max-total-tokens when that is not given.")
    var kvCacheMB = 1024

    @Option(help: "KV cache token slots shared by all requests (default: from --kv-cache-mb).")
    var maxTotalTokens: Int?

    @Option(help: "Sequences decoding at once.")
    var maxRunningRequests = 64

    @Option(help: "Tokens one engine step may run (decode rows plus prompt chunks).")
    var batchMaxTokens = 512

    @Option(help: "A step adds another prompt's chunk only while it has fewer rows than this (the chunk may still run to --batch-max-tokens): prompts that arrive together send their first tokens one after another, not all at the end of one long step.")
    var prefillStepRows = 64

    @Option(help: "Largest prompt + max_new_tokens of one request (default: the model's context length).")
    var maxReqTotalLen: Int?

    @Option(help: "Requests that may wait for admission; beyond this new requests get 503.")
    var maxWaitingRequests = 256

    @Option(help: "max_new_tokens when a request gives none.")
    var defaultMaxNewTokens = 16

    @Option(help: "Largest request body in bytes (413 above).")
    var maxBodyBytes = 1 << 20

    @Option(help: "Seconds running requests may take to finish after SIGTERM.")
    var shutdownTimeout = 30

    @Option(help: "Jinja chat template file, instead of the model's tokenizer.chat_template.")
    var chatTemplate: String?

    @Option(help: "Tokens a chat completion may generate when the request sets no max_tokens.")
    var chatMaxNewTokens = 1024

    @Option(help: "Output length admission expects of a request at most (LightLLM's router_max_new_token_len); 0 expects every request to reach its max_new_tokens. The pool running short then preempts the newest request.")
    var routerMaxNewTokenLen = 1024

    @Flag(help: "Do not reuse the KV of prompt prefixes seen before.")
    var noPrefixCache = false

    @Option(help: "Answer HAProxy's agent-check on this TCP port (`<w>% ready` from the load, `drain` on SIGTERM).")
    var agentPort: Int?

    @Option(help: "Write the pipeline's trace as Chrome trace-event JSON to this file (open it in Perfetto).")
    var traceFile: String?

    @Option(help: "Trace events kept in memory for /debug/trace and --trace-file; 0 turns tracing off.")
    var traceEvents = 200_000

    @Option(name: .customLong("api-key"), help: ArgumentHelp(
        "Require Authorization: Bearer KEY on every route but the health probes (repeatable; also LIGHTSERVE_API_KEY).",
        valueName: "key"))
    var apiKeys: [String] = []

    @Option(help: ArgumentHelp("Read API keys from this file, one per line (blank lines and lines starting with # are skipped).", valueName: "path"))
    var apiKeyFile: String?

    @Flag(help: "Leave /metrics open without the API key (for a Prometheus scraper).")
    var metricsPublic = false

    @Option(name: .customLong("cors-origin"), help: ArgumentHelp(
        "Let web pages of this origin (scheme://host[:port]) call the server from a browser (repeatable; * allows any).",
        valueName: "origin"))
    var corsOrigins: [String] = []

    @Option(help: "Seconds a client may take to send a request's head (from its first byte, or from connecting).")
    var headerTimeout = 10

    @Option(help: "Seconds a client may take to send a request's body after its head.")
    var bodyTimeout = 30

    @Option(help: "Seconds a keep-alive connection may sit with no request in progress before it is closed.")
    var idleTimeout = 60

    @Option(help: "Connections open at once; requests on connections past this get 503.")
    var maxConnections = 1024

    func validate() throws {
        for (name, value) in [
            ("--port", port), ("--kv-cache-mb", kvCacheMB), ("--max-running-requests", maxRunningRequests),
            ("--batch-max-tokens", batchMaxTokens), ("--prefill-step-rows", prefillStepRows),
            ("--max-waiting-requests", maxWaitingRequests),
            ("--default-max-new-tokens", defaultMaxNewTokens), ("--max-body-bytes", maxBodyBytes),
            ("--shutdown-timeout", shutdownTimeout), ("--max-total-tokens", maxTotalTokens ?? 1),
            ("--chat-max-new-tokens", chatMaxNewTokens), ("--trace-events", traceEvents + 1),
            ("--max-req-total-len", maxReqTotalLen ?? 1), ("--agent-port", agentPort ?? 1), ("--router-max-new-token-len", routerMaxNewTokenLen + 1),
            ("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout), ("--idle-timeout", idleTimeout),
            ("--max-connections", maxConnections),
        ] where value < (name == "--port" || name == "--shutdown-timeout" ? 0 : 1) {
            throw ValidationError("\(name) must be positive, got \(value)")
        }
        guard batchMaxTokens >= maxRunningRequests else {
            throw ValidationError("--batch-max-tokens (\(batchMaxTokens)) must be at least --max-running-requests (\(maxRunningRequests)): every running sequence needs a row in each step")
        }
        do {
            _ = try CrossOriginPolicy(origins: corsOrigins)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        var logger = Logger(label: "lightserve")
        logger.logLevel = .info
        // Before anything starts: a key that cannot be used stops the server at once.
        let access = try accessPolicy(logger: logger)
        let path = try await modelOptions.resolvedModelPath()
        let model = try LanguageModel(path: path)
        let tokenizer = try Tokenizer(gguf: model.file)
        let c = model.configuration
        let draft = try await speculationOptions.loadDraftModel()
        // A slot holds the draft model's keys and values beside the model's.
        let bytesPerSlot = KVCache.bytesPerSlot(c) + (draft.map { KVCache.bytesPerSlot($0.configuration) } ?? 0)
        let slots = maxTotalTokens ?? max(1, kvCacheMB << 20 / bytesPerSlot)
        let maxRequestLength = maxReqTotalLen ?? c.contextLength
        let name = modelName ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        logger.info(
            "model \(name): \(model.summary), vocabulary \(c.vocabularySize); KV pool \(slots) slots (\((slots * bytesPerSlot) >> 20) MiB); \(modelOptions.threads) compute threads; \(ModelOptions.allocator)")
        let compute = try ComputeReport.current()
        let blas = try OpenBLASLibrary.load()
        logger.info("processor \(compute.processor); LightServe kernels \(compute.kernels); OpenBLAS \(blas.summary)")
        if let huge = ProcessMemory.hugePageBytes, model.packedWeightBytes > 0 {
            let line = "packed weights \(model.packedWeightBytes >> 20) MiB, \(huge >> 20) MiB of the process in transparent huge pages"
            if huge == 0 {
                logger.warning(
                    "\(line): the kernel gave none, so one-stream decode walks the weights in 4 KiB pages (~15% slower on the 1.5B); set /sys/kernel/mm/transparent_hugepage/enabled to madvise or always")
            } else {
                logger.info("\(line)")
            }
        }
        if blas.isGenericOnCapableProcessor {
            logger.warning(
                "OpenBLAS runs its generic \(compute.openBLASCore) kernels on a processor with AVX2: prefill will be several times slower; unset OPENBLAS_CORETYPE or set it to Haswell")
        }

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(Self.metricsFactory(registry))
        let trace = TraceRecorder(capacity: traceEvents)
        if traceFile != nil && traceEvents == 0 {
            throw ValidationError("--trace-file needs tracing on (--trace-events above 0)")
        }

        // The queues between stages, each bounded and observable.
        let load = PipelineLoad(kvCapacity: slots, maxWaitingRequests: maxWaitingRequests)
        let tokenizeQueue = StageChannel<GenerationRequest>(name: "tokenize", capacity: maxWaitingRequests)
        let schedulerInbox = StageChannel<SchedulerMessage>(
            name: "schedule", capacity: maxWaitingRequests + 2 * maxRunningRequests + 8)
        let stepQueue = StageChannel<Step>(name: "execute", capacity: 2)
        let tokenQueue = StageChannel<TokenBatch>(name: "detokenize", capacity: 64)
        let toTokenize = tokenizeQueue.sender
        let toScheduler = schedulerInbox.sender
        let toExecute = stepQueue.sender
        let toDetokenize = tokenQueue.sender
        let gauges = [tokenizeQueue.gauge, schedulerInbox.gauge, stepQueue.gauge, tokenQueue.gauge]

        let execute = try ExecuteStage(
            model: model, draftModel: draft, draftVocabulary: speculationOptions.draftHeadVocabulary, kvSlots: slots,
            threads: modelOptions.threads, inbox: stepQueue, results: toScheduler, load: load, trace: trace)
        // Drafts are weighed against what steps cost on this machine, measured before serving.
        let maxRows = min(batchMaxTokens, maxRunningRequests * (speculationOptions.draftMaxTokens + 1))
        let speculation = try await speculationOptions.configuration { try await execute.measureStepCosts(upTo: maxRows) }
        logger.info("\(speculationOptions.summary(speculation, draft: draft))")

        let chat = try chatRenderer(model: model, vocabulary: tokenizer.vocabulary)
        let constraints = ConstraintCompiler(GrammarCompiler(vocabulary: tokenizer.vocabulary.grammarVocabulary))
        let stages = PipelineService(
            tokenize: TokenizeStage(
                tokenizer: tokenizer, chat: chat, constraints: constraints, maxRequestLength: maxRequestLength,
                inbox: tokenizeQueue, scheduler: toScheduler, load: load, trace: trace),
            schedule: SchedulerStage(
                configuration: SchedulerConfiguration(
                    kvCapacity: slots, maxRunningSequences: maxRunningRequests, batchMaxTokens: batchMaxTokens,
                    prefillStepRows: prefillStepRows, stopTokens: tokenizer.vocabulary.stopIDs, prefixCaching: !noPrefixCache,
                    routerMaxNewTokenLength: routerMaxNewTokenLen > 0 ? routerMaxNewTokenLen : nil, speculation: speculation),
                inbox: schedulerInbox, steps: toExecute, tokens: toDetokenize, load: load, trace: trace),
            execute: execute,
            detokenize: DetokenizeStage(vocabulary: tokenizer.vocabulary, inbox: tokenQueue, scheduler: toScheduler, trace: trace))

        let ingress = IngressConfiguration(
            modelName: name, architecture: c.architecture, quantization: model.quantization, maxBodyBytes: maxBodyBytes,
            defaultMaxNewTokens: defaultMaxNewTokens, maxRequestLength: maxRequestLength,
            hasRewardHead: model.hasRewardHead, hasChatTemplate: chat != nil,
            toolCallFormat: chat.flatMap { ToolCallFormat(chatTemplate: $0.template.source) }, reasoning: chat?.reasoning,
            chatMaxNewTokens: chatMaxNewTokens, startedAt: Int(Date().timeIntervalSince1970),
            vocabularySize: tokenizer.vocabulary.count)
        let monitor = PipelineMonitor(queues: gauges, load: load, trace: trace)
        let metrics = ServerMetrics()
        let client = PipelineClient(tokenize: toTokenize, scheduler: toScheduler, monitor: monitor, metrics: metrics)
        let router = Router(context: ServerRequestContext.self)
        router.add(middleware: RequestObservationMiddleware(metrics: metrics))
        router.add(middleware: TracingMiddleware())
        router.add(middleware: CrossOriginMiddleware(policy: access.crossOrigin))
        router.add(middleware: APIErrorMiddleware())
        router.add(middleware: APIKeyMiddleware(keys: access.keys, metricsPublic: metricsPublic))
        let support = HandlerSupport(pipeline: client, configuration: ingress)
        let routes = RouteTable(router: router)
        routes.add(LightLLMRoutes(support).routes)
        routes.add(OpenAIRoutes(support).routes, atPath: "/v1")
        routes.add(UtilityRoutes(support).routes)
        routes.add(WorkerRoutes(
            support, info: WorkerInfo(contextLength: c.contextLength, maxTotalTokens: slots, maxRunningRequests: maxRunningRequests)
        ).routes)
        let limits = ConnectionLimits(
            headerTimeout: .seconds(Int64(headerTimeout)), bodyTimeout: .seconds(Int64(bodyTimeout)),
            idleTimeout: .seconds(Int64(idleTimeout)), maxConnections: maxConnections)
        let connections = ConnectionCounts(limit: maxConnections)
        Self.raiseOpenFileLimit(toHold: maxConnections, logger: logger)
        routes.add(DebugRoutes(monitor: monitor, metrics: metrics, registry: registry, compute: compute, connections: connections).routes)
        routes.add(ConsoleRoutes(monitor: monitor, metrics: metrics, configuration: ingress).routes)
        routes.addDocument(configuration: ingress)
        routes.finish()
        let host = access.host
        let app = Application(
            router: router,
            server: .lightServe(limits: limits, counts: connections),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "LightServe"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                FileHandle.standardOutput.write(Data("LightServe listening on http://\(host):\(bound)\n".utf8))
            },
            logger: logger)

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: stages)]
        if let traceFile { services.append(.init(service: TraceFileWriter(recorder: trace, path: traceFile))) }
        if let agentPort {
            services.append(.init(service: AgentCheckService(host: host, port: agentPort, load: load, logger: logger)))
        }
        services.append(.init(service: app))
        services.append(.init(service: DrainService(load: load, timeout: .seconds(shutdownTimeout), logger: logger)))
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(shutdownTimeout + 15)
        // Services stop in reverse order: the drain first (health 503, new requests 503, running
        // ones finish), then the HTTP server, then the stages.
        try await ServiceGroup(configuration: configuration).run()
    }
}

extension ServeCommand {
    /// swift-prometheus behind swift-metrics, with buckets that suit token counts and latencies.
    static func metricsFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        let tokens: [Double] = [1, 4, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192]
        factory.valueHistogramBuckets = [ServerMetrics.Name.promptTokens: tokens, ServerMetrics.Name.generatedTokens: tokens]
        let seconds: [Duration] = [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                   .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]
        factory.durationHistogramBuckets = [
            ServerMetrics.Name.timeToFirstToken: seconds, ServerMetrics.Name.requestDuration: seconds,
            ServerMetrics.Name.timePerOutputToken: [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
                                                     .milliseconds(100), .milliseconds(200), .milliseconds(500), .seconds(1)],
        ]
        return factory
    }

    /// Who may call the server: the API keys, the browser origins, and the address to listen on
    /// (loopback unless a key is set or `--host` says otherwise). Says at start what it chose,
    /// and warns about an open server on the network.
    func accessPolicy(logger: Logger) throws -> (keys: APIKeys, crossOrigin: CrossOriginPolicy, host: String) {
        var given = apiKeys.map { (key: $0, source: "--api-key") }
        if let key = ProcessInfo.processInfo.environment["LIGHTSERVE_API_KEY"], !key.isEmpty {
            given.append((key, "LIGHTSERVE_API_KEY"))
        }
        if let apiKeyFile {
            let text: String
            do {
                text = try String(contentsOfFile: apiKeyFile, encoding: .utf8)
            } catch {
                throw ValidationError("--api-key-file \(apiKeyFile) cannot be read: \(error.localizedDescription)")
            }
            let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            let keys = lines.filter { !$0.isEmpty && !$0.hasPrefix("#") }
            guard !keys.isEmpty else { throw ValidationError("--api-key-file \(apiKeyFile) holds no key") }
            given += keys.enumerated().map { ($1, "--api-key-file \(apiKeyFile), key \($0 + 1)") }
        }
        let keys: APIKeys
        let crossOrigin: CrossOriginPolicy
        do {
            keys = try APIKeys(given)
        } catch {
            throw ValidationError(error.description)
        }
        do {
            crossOrigin = try CrossOriginPolicy(origins: corsOrigins)
        } catch {
            throw ValidationError(error.description)
        }
        let host = self.host ?? (keys.isEmpty ? "127.0.0.1" : "0.0.0.0")
        if keys.isEmpty {
            if self.host == nil {
                logger.info("no API key: listening on 127.0.0.1 only. To serve other machines, set --api-key (or LIGHTSERVE_API_KEY, --api-key-file) and --host 0.0.0.0")
            } else if !Self.isLoopback(host) {
                logger.warning("listening on \(host) without an API key: anyone who can reach this port can generate, read /metrics and /debug/* and flush the cache. Set --api-key (or LIGHTSERVE_API_KEY, --api-key-file)")
            }
        } else {
            let open = metricsPublic ? "the health probes and /metrics" : "the health probes"
            logger.info("\(keys.count) API key\(keys.count == 1 ? "" : "s"): every route but \(open) needs Authorization: Bearer <key>")
        }
        if crossOrigin.allowsAny {
            logger.warning("--cors-origin *: a web page of any origin may call this server from its visitors' browsers\(keys.isEmpty ? ", and there is no API key" : "")")
        }
        return (keys, crossOrigin, host)
    }

    /// Whether `host` is a loopback address (or the name of one).
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Raises the soft limit on open files so that `connections` sockets fit beside the model and
    /// the server's own files (the hard limit permitting); warns if they cannot.
    static func raiseOpenFileLimit(toHold connections: Int, logger: Logger) {
        let needed = rlim_t(connections) + 256
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < needed else { return }
        var raised = limit
        raised.rlim_cur = min(needed, limit.rlim_max)
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        if limit.rlim_cur < needed {
            logger.warning("the process may open \(limit.rlim_cur) files, fewer than --max-connections (\(connections)) needs with the server's own; connections past that are not accepted (raise ulimit -n)")
        }
    }

    /// The chat template from `--chat-template` or the model, with its BOS/EOS texts.
    func chatRenderer(model: LanguageModel, vocabulary: Vocabulary) throws -> ChatRenderer? {
        let source: String
        if let chatTemplate {
            source = try String(contentsOfFile: chatTemplate, encoding: .utf8)
        } else if let embedded = try model.file.string("tokenizer.chat_template") {
            source = embedded
        } else {
            return nil
        }
        do {
            return ChatRenderer(template: try ChatTemplate(source), vocabulary: vocabulary)
        } catch {
            throw ValidationError("the chat template\(chatTemplate.map { " in \($0)" } ?? "") cannot be used: \(error)")
        }
    }
}

/// Runs the four stage loops until graceful shutdown reaches it.
struct PipelineService: Service {
    let tokenize: TokenizeStage
    let schedule: SchedulerStage
    let execute: ExecuteStage
    let detokenize: DetokenizeStage

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await tokenize.run() }
            group.addTask { await schedule.run() }
            group.addTask { await execute.run() }
            group.addTask { await detokenize.run() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}
