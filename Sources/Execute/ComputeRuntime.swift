import ExecuteKernels

/// The compute threads and their scratch memory. The thread that calls into a runtime is its
/// worker 0 and must be a dedicated thread (never Swift's cooperative pool: a pool thread
/// blocked in a matrix product is half of a 2-core machine); the others are owned here.
public final class ComputeRuntime {
    let handle: OpaquePointer

    /// Starts `threads - 1` helper threads.
    public init(threads: Int) {
        handle = ls_runtime_create(Int32(max(1, threads)))
    }

    public var threads: Int { Int(ls_runtime_threads(handle)) }

    deinit {
        ls_runtime_destroy(handle)
    }
}
