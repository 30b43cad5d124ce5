import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP GET through Foundation's URLSession, its body handed over piece by piece as it
/// arrives (to a file for wheels, to memory for index pages), so downloads of any size report
/// progress and never sit whole in memory. A status outside 2xx, a stall longer than the
/// timeout or a failed write ends it with ``ModelStoreError/download(url:_:)``.
final class HTTPGet: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // The delegate methods run on the session's serial delegate queue; `state` is also touched
    // by the awaiting task, so it sits behind a mutex.

    private struct State {
        var continuation: CheckedContinuation<Int, any Error>?
        var received = 0
        var failure: String?
    }

    private let url: URL
    private let receive: @Sendable (Data) throws -> Void
    private let progress: @Sendable (Int) -> Void
    private let state = Mutex(State())

    private init(url: URL, receive: @escaping @Sendable (Data) throws -> Void, progress: @escaping @Sendable (Int) -> Void) {
        self.url = url
        self.receive = receive
        self.progress = progress
    }

    /// Seconds without a byte before a request is given up.
    static let stallTimeout: TimeInterval = 60

    /// GETs `url`, handing each piece of the body to `receive` and the running byte count to
    /// `progress`; returns the body's length.
    static func get(
        _ url: URL, accept: String? = nil, receive: @escaping @Sendable (Data) throws -> Void,
        progress: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws(ModelStoreError) -> Int {
        let delegate = HTTPGet(url: url, receive: receive, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = stallTimeout
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: url)
        if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
        do {
            return try await withCheckedThrowingContinuation { continuation in
                delegate.state.withLock { $0.continuation = continuation }
                session.dataTask(with: request).resume()
            }
        } catch let error as ModelStoreError {
            throw error
        } catch {
            throw .download(url: url.absoluteString, "\(error.localizedDescription)")
        }
    }

    /// GETs `url` into memory (index pages: small).
    static func data(_ url: URL, accept: String? = nil) async throws(ModelStoreError) -> Data {
        let body = Mutex(Data())
        _ = try await get(url, accept: accept, receive: { piece in body.withLock { $0.append(piece) } })
        return body.withLock { $0 }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            state.withLock { $0.failure = "HTTP status \(http.statusCode)" }
            completionHandler(.cancel)
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard state.withLock({ $0.failure == nil }) else { return }
        do {
            try receive(data)
        } catch {
            state.withLock { $0.failure = "cannot store what arrived: \(error)" }
            dataTask.cancel()
            return
        }
        let received = state.withLock { state in
            state.received += data.count
            return state.received
        }
        progress(received)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let (continuation, received, failure) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.continuation, state.received, state.failure)
        }
        if let failure {
            continuation?.resume(throwing: ModelStoreError.download(url: url.absoluteString, failure))
        } else if let error {
            continuation?.resume(throwing: ModelStoreError.download(url: url.absoluteString, error.localizedDescription))
        } else {
            continuation?.resume(returning: received)
        }
    }
}
