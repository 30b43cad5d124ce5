import Testing

@testable import ModelStore

/// SHA-256 against FIPS 180-4's examples, fed whole and in awkward pieces.
@Suite struct SHA256Tests {
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ]

    @Test func testDigestsMatchTheStandardsExamples() {
        for (text, digest) in Self.vectors {
            var hash = SHA256()
            hash.update(Array(text.utf8))
            #expect(hash.hexDigest() == digest, "\(text)")
        }
    }

    @Test func testPiecesOfAnySizeGiveTheWholeInputsDigest() {
        // A million 'a's, the standard's long example, in pieces that straddle block edges.
        var hash = SHA256()
        var given = 0
        var size = 1
        while given < 1_000_000 {
            let count = min(size, 1_000_000 - given)
            hash.update(repeatElement(UInt8(ascii: "a"), count: count))
            given += count
            size = size * 3 % 997 + 1
        }
        #expect(hash.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
