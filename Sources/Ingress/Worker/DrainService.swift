import LightServeCore
import Logging
import ServiceLifecycle

/// The first service to hear SIGTERM: from then on health checks answer 503 and new requests
/// get 503 with `Retry-After` (so load balancers move traffic away), while running requests
/// finish; it returns once none is left or `timeout` has passed, and only then does the HTTP
/// server stop (a service group stops its services in reverse order).
public struct DrainService: Service {
    let load: PipelineLoad
    let timeout: Duration
    let logger: Logger

    public init(load: PipelineLoad, timeout: Duration, logger: Logger) {
        self.load = load
        self.timeout = timeout
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        load.beginDraining()
        logger.info("draining: \(load.openRequests) request(s) still running; finishing them (up to \(timeout))")
        let deadline = ContinuousClock.now + timeout
        while load.openRequests > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let left = load.openRequests
        if left > 0 {
            logger.warning("drained for \(timeout); stopping with \(left) request(s) unfinished")
        } else {
            logger.info("drained: every request finished")
        }
    }
}
