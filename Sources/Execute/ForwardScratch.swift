/// Activation buffers for one step, grown to the largest batch seen and then reused.
final class ForwardScratch {
    private(set) var rowCapacity = 0
    private(set) var outputCapacity = 0
    private(set) var x: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var h: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var q: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var k: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var v: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var attention: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var gate: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var up: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var cosSin: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var logits: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var rowSlot: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)

    /// Makes room for `rows` token rows and `outputRows` rows of logits.
    func reserve(rows: Int, outputRows: Int, configuration c: ModelConfiguration) {
        if rows > rowCapacity {
            let n = max(rows, rowCapacity * 2)
            let d = c.embeddingLength
            release([x, h, q, k, v, attention, gate, up, cosSin])
            rowSlot.deallocate()
            x = .allocate(capacity: n * d)
            h = .allocate(capacity: n * d)
            q = .allocate(capacity: n * c.queryDimension)
            k = .allocate(capacity: n * c.kvDimension)
            v = .allocate(capacity: n * c.kvDimension)
            attention = .allocate(capacity: n * c.queryDimension)
            gate = .allocate(capacity: n * c.feedForwardLength)
            up = .allocate(capacity: n * c.feedForwardLength)
            // One table of angles per rotary embedding.
            cosSin = .allocate(capacity: n * c.maxRotaryDimension * c.rotaries.count)
            rowSlot = .allocate(capacity: n)
            rowCapacity = n
        }
        if outputRows > outputCapacity {
            let n = max(outputRows, outputCapacity * 2)
            logits.deallocate()
            logits = .allocate(capacity: n * c.vocabularySize)
            outputCapacity = n
        }
    }

    private func release(_ pointers: [UnsafeMutablePointer<Float>]) {
        for p in pointers { p.deallocate() }
    }

    deinit {
        release([x, h, q, k, v, attention, gate, up, cosSin, logits])
        rowSlot.deallocate()
    }
}
