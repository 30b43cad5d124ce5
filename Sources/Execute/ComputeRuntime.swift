import ExecuteKernels

/// The compute threads and their scratch memory. The thread that calls into a runtime is its
/// worker 0 and must be a dedicated thread (never Swift's cooperative pool: a pool thread
/// blocked in a matrix product is half of a 2-core machine); the others are owned here.
public final class ComputeRuntime {
    let handle: OpaquePointer
    /// The kernel build this runtime's products and attention run.
    public let kernels: KernelSet

    /// Loads OpenBLAS for this processor (once per process), then starts `threads - 1` helper
    /// threads, after checking that the processor can run `kernels` at all: a clear error
    /// instead of an illegal-instruction crash.
    public convenience init(threads: Int, kernels: KernelSet = .preferred) throws(ExecuteError) {
        try self.init(threads: threads, kernels: kernels, processor: .current)
    }

    /// The checks against `processor` (this one, but for the tests that ask what a lesser one
    /// would be told), then the runtime on this one.
    init(threads: Int, kernels: KernelSet, processor: ProcessorFeatures) throws(ExecuteError) {
        let missing = processor.missingBaseline
        guard missing.isEmpty else { throw .unsupportedProcessor(missing: missing) }
        let lacking = kernels.missing(on: processor)
        guard lacking.isEmpty else { throw .kernelSetUnavailable(kernels, missing: lacking) }
        _ = try OpenBLASLibrary.load()
        var error: Int32 = 0
        guard let handle = ls_runtime_create(Int32(max(1, min(threads, 64))), kernels.code, &error) else {
            throw .computeThreads("\(threads) threads requested; errno \(error)")
        }
        self.handle = handle
        self.kernels = kernels
    }

    public var threads: Int { Int(ls_runtime_threads(handle)) }

    /// Throws if a kernel skipped its work since the last check for want of memory.
    func checkKernels() throws(ExecuteError) {
        if ls_runtime_take_failure(handle) != 0 {
            throw .outOfMemory("a kernel could not allocate its working memory; the step's outputs were discarded")
        }
    }

    deinit {
        ls_runtime_destroy(handle)
    }
}
