/// Everything an observer of the pipeline reads: each stage's queue gauge (depth, capacity,
/// service times), the load figures and the trace ring.
public struct PipelineMonitor: Sendable {
    public let queues: [QueueGauge]
    public let load: PipelineLoad
    public let trace: TraceRecorder

    public init(queues: [QueueGauge], load: PipelineLoad, trace: TraceRecorder) {
        self.queues = queues
        self.load = load
        self.trace = trace
    }
}
