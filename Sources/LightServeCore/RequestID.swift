import Synchronization

/// Identifies one client request through the pipeline.
public struct RequestID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let value: UInt64

    public init(_ value: UInt64) {
        self.value = value
    }

    private static let counter = Atomic<UInt64>(0)

    /// A process-unique id.
    public static func next() -> RequestID {
        RequestID(counter.add(1, ordering: .relaxed).newValue)
    }

    public static func < (a: RequestID, b: RequestID) -> Bool { a.value < b.value }
    public var description: String { "req-\(value)" }
}

/// One generated sequence of a request (a request with `best_of` > 1 has several).
public struct SequenceID: Hashable, Sendable, CustomStringConvertible {
    public let request: RequestID
    public let index: Int

    public init(request: RequestID, index: Int) {
        self.request = request
        self.index = index
    }

    public var description: String { "\(request)/\(index)" }
}
