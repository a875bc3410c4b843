import Testing
import Tracing

@testable import OTLPTracing

@Suite struct SpanBufferTests {
    /// A span whose encoding takes about `bytes` bytes.
    static func span(of bytes: Int) -> FinishedSpan {
        var span = OTLPTraceRequestTests.span
        span.attributes = ["user_agent.original": .string(String(repeating: "a", count: bytes))]
        return span
    }

    @Test func aBatchSizeOfMillionsStartsWithoutReservingRoomForThem() {
        // Room for a full batch of 100,000,000 spans was reserved at start: 38 GB, and the process aborted.
        let buffer = SpanBuffer(capacity: 100_000_000, batchSize: 100_000_000)
        buffer.append(Self.span(of: 10))
        #expect(buffer.take().spans.count == 1)
    }

    @Test func storageThatLargeSpansGrewIsLetGoOnceSent() throws {
        let buffer = SpanBuffer(capacity: 8, batchSize: 1)
        buffer.append(Self.span(of: 4_000_000))
        var large = buffer.take().spans
        #expect(large.bytes.capacity >= 4_000_000)
        buffer.reuse(&large.bytes)
        // The next two batches fill the storage made at the first one's end and then the spare storage, if any.
        for _ in 0..<2 { buffer.append(Self.span(of: 10)) }
        for _ in 0..<2 {
            let batch = buffer.take().spans
            #expect(batch.count == 1)
            #expect(batch.bytes.capacity < 4_000_000, "a batch of one small span fills the storage a 4 MB span grew")
        }
    }

    @Test func storageOfAUsualBatchIsFilledAgain() throws {
        let buffer = SpanBuffer(capacity: 8, batchSize: 1)
        buffer.append(Self.span(of: 10))
        var sent = buffer.take().spans
        let storage = sent.bytes.withUnsafeBufferPointer { $0.baseAddress }
        buffer.reuse(&sent.bytes)
        #expect(sent.bytes.isEmpty)
        for _ in 0..<2 { buffer.append(Self.span(of: 10)) }
        let refilled = (0..<2).map { _ in buffer.take().spans.bytes.withUnsafeBufferPointer { $0.baseAddress } }
        #expect(refilled.contains(storage))
    }
}
