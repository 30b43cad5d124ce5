/// The API keys the server accepts (`--api-key`, `LIGHTSERVE_API_KEY`, `--api-key-file`). A
/// presented key is compared with every configured one over all its bytes, so the time taken
/// does not tell an attacker how much of a guess was right.
public struct APIKeys: Sendable {
    /// Why a configured key cannot be used.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case empty(source: String)
        case unusableCharacter(source: String)

        public var description: String {
            switch self {
            case .empty(let source):
                "the API key from \(source) is empty"
            case .unusableCharacter(let source):
                "the API key from \(source) holds a space, a control or a non-ASCII character; an HTTP header cannot carry it (use letters, digits and punctuation)"
            }
        }
    }

    private let keys: [[UInt8]]

    /// - Parameter keys: each key with where it came from (named in errors).
    public init(_ keys: [(key: String, source: String)]) throws(Failure) {
        for (key, source) in keys {
            guard !key.isEmpty else { throw .empty(source: source) }
            guard key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .unusableCharacter(source: source) }
        }
        self.keys = keys.map { Array($0.key.utf8) }
    }

    /// No keys: every route is open.
    public var isEmpty: Bool { keys.isEmpty }

    public var count: Int { keys.count }

    /// Whether `presented` is one of the keys. Every key is compared, each over all its bytes.
    public func accepts(_ presented: [UInt8]) -> Bool {
        var matches: UInt8 = 0
        for key in keys {
            matches |= Self.difference(presented, key) == 0 ? 1 : 0
        }
        return matches != 0
    }

    /// Zero when `a` equals `key`. Takes time that depends on `key`'s length only: no early
    /// exit at the first differing byte, and a presented key of another length is read cyclically.
    static func difference(_ a: [UInt8], _ key: [UInt8]) -> UInt {
        var difference = UInt(bitPattern: a.count ^ key.count)
        guard !a.isEmpty else { return difference | 1 }
        for i in key.indices {
            difference |= UInt(a[i % a.count] ^ key[i])
        }
        return difference
    }

    /// The key of an `Authorization: Bearer <key>` header (scheme case-insensitive), if it has one.
    static func bearerToken(_ authorization: String?) -> [UInt8]? {
        guard let authorization else { return nil }
        let bytes = Array(authorization.utf8)
        let scheme = Array("bearer ".utf8)
        func lowercased(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }
        guard bytes.count > scheme.count, zip(bytes, scheme).allSatisfy({ lowercased($0) == $1 }) else { return nil }
        var token = bytes[scheme.count...]
        while token.first == 0x20 { token = token.dropFirst() }
        while token.last == 0x20 { token = token.dropLast() }
        return Array(token)
    }
}
