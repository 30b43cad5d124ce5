import Testing

@testable import Tokenize

@Suite struct MergeTableTests {
    /// A table over ids 0...9 where merging makes the pair's "sum" id, ranked by a fixed order.
    static func table() -> MergeTable {
        var table = MergeTable(capacity: 16)
        let pairs: [(Int32, Int32, Int32)] = [(1, 2, 10), (2, 3, 11), (10, 3, 12), (3, 3, 13), (13, 1, 14), (12, 13, 15)]
        for (rank, p) in pairs.enumerated() { table.add(left: p.0, right: p.1, result: p.2, rank: Int32(rank)) }
        return table
    }

    @Test func testLowestRankMergesFirstWithLeftmostTieBreak() {
        var symbols: [Int32] = [3, 3, 3]
        Self.table().apply(to: &symbols)
        #expect(symbols == [13, 3])
    }

    @Test func testMergesChainThroughResults() {
        var symbols: [Int32] = [1, 2, 3, 3, 3]
        Self.table().apply(to: &symbols)
        #expect(symbols == [15])
    }

    @Test func testHeapPathAgreesWithRescanPath() {
        var generator = SystemRandomNumberGenerator()
        let table = Self.table()
        for _ in 0..<200 {
            let short = (0..<Int.random(in: 2...40, using: &generator)).map { _ in Int32.random(in: 1...3, using: &generator) }
            // Four copies push most inputs past the rescan limit, onto the heap path.
            let long = Array(repeating: short, count: 4).flatMap { $0 }
            var byHeap = long
            table.apply(to: &byHeap)
            var byRescan = long
            table.applyForTesting(byRescan: &byRescan)
            #expect(byHeap == byRescan)
        }
    }
}
