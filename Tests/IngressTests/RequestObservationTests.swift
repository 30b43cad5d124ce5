import InMemoryTracing
import LightServeCore
import ServiceContextModule
import Testing
import Tracing

@testable import Ingress

@Suite struct RequestObservationTests {
    @Test func testPipelineSpanIsAChildOfTheHTTPSpanWithTokenCounts() throws {
        let tracer = InMemoryTracer()
        let server = tracer.startSpan("POST /generate", context: .topLevel, ofKind: .server)
        let trace = TraceRecorder(capacity: 100)
        let observer = RequestObserver(
            trace: trace, metrics: ServerMetrics(), endpoint: "/generate", traceID: "abc", context: server.context, tracer: tracer)
        let request = GenerationRequest(input: .text("hi"), options: GenerationOptions(), events: RequestEventSink.makeStream().sink)
        var observation = RequestObservation(observer: observer)
        observation.observe(.accepted(promptTokens: 7))
        observation.observe(.tokens([GeneratedToken(sequence: 0, id: 1, text: "a", logprob: -1, special: false, index: 1, finishReason: nil)]))
        observation.observe(.tokens([GeneratedToken(sequence: 0, id: 2, text: "b", logprob: -1, special: false, index: 2, finishReason: .length)]))
        observation.complete(request)

        let span = try #require(tracer.finishedSpans.first { $0.operationName == "lightserve.pipeline" })
        #expect(span.parentSpanID == server.spanContext.spanID)
        #expect(span.traceID == server.spanContext.traceID)
        #expect(span.attributes["lightserve.prompt_tokens"]?.toSpanAttribute() == .int64(7))
        #expect(span.attributes["lightserve.generated_tokens"]?.toSpanAttribute() == .int64(2))
        #expect(span.events.map(\.name) == ["first_token"])

        let spans = trace.spans(after: 0).spans
        let outer = try #require(spans.first { $0.name == "request" })
        #expect(outer.arguments.contains { $0 == ("outcome", "finished (length)") })
        #expect(outer.arguments.contains { $0 == ("trace_id", "abc") })
        #expect(spans.contains { $0.name == "first token" })
    }

    @Test func testRequestThatEndsWithoutAResultIsTracedAsCancelled() {
        let trace = TraceRecorder(capacity: 100)
        let observer = RequestObserver(
            trace: trace, metrics: ServerMetrics(), endpoint: "/generate", traceID: nil, context: .topLevel, tracer: NoOpTracer())
        var observation = RequestObservation(observer: observer)
        observation.observe(.accepted(promptTokens: 3))
        observation.complete(GenerationRequest(input: .text("x"), options: GenerationOptions(), events: RequestEventSink.makeStream().sink))
        #expect(trace.spans(after: 0).spans.contains { $0.name == "request (cancelled)" })
    }

    @Test func testTraceparentGivesTheTraceID() {
        #expect(RequestObservationMiddleware.traceID(fromTraceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(RequestObservationMiddleware.traceID(fromTraceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01") == nil)
        #expect(RequestObservationMiddleware.traceID(fromTraceparent: "garbage") == nil)
    }
}
