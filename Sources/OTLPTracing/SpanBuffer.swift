import Synchronization

/// The queue between the spans that end and the exporter: bounded, so that a collector that cannot keep up costs
/// spans, counted, and never memory or purchases.
///
/// A span that ends is encoded into the batch being filled, under a lock, by the thread that ends it: its attributes
/// are still in that thread's cache, and are freed by the threads that serve requests. Handing them to the
/// exporter's thread instead cost more than encoding them: every retain, release and free of a span's strings and
/// dictionaries there was an atomic operation or an allocator lock on memory another core had just written. The
/// exporter takes whole batches, already encoded, and gives their storage back to be filled again, so that a steady
/// stream of spans allocates nothing here. When a batch is full it wakes the exporter, which otherwise wakes on its
/// schedule (``OTLPSpanExporter``).
final class SpanBuffer: Sendable {
    /// Spans held at most; those ending while it is full are dropped.
    let capacity: Int
    /// Spans in one export.
    let batchSize: Int
    /// Room reserved for a batch's encoding: ``bytesPerSpan`` for each of its spans, up to ``reservedSpans``. A
    /// batch of more spans, or of larger ones, grows as it fills.
    private let reservedBytes: Int
    private let state: Mutex<State>

    /// Spans encoded one after the other, each a `ScopeSpans.spans` field: the body of one export, without its
    /// envelope (``OTLPTraceRequest``).
    struct EncodedSpans {
        /// The encoded fields.
        var bytes: [UInt8]
        /// How many spans they hold.
        var count: Int

        var isEmpty: Bool { self.count == 0 }
    }

    private struct State {
        /// The batch being filled.
        var filling: ProtobufWriter
        var fillingCount = 0
        /// Full batches, the oldest first.
        var full: [EncodedSpans] = []
        /// Spans in ``full`` and ``filling``.
        var queued = 0
        /// Storage of sent batches, emptied, for the next batch to fill.
        var spare: [[UInt8]] = []
        var dropped = 0
        var waiter: CheckedContinuation<Void, Never>?
        /// When ``close()`` was called, if it was.
        var closedAt: ContinuousClock.Instant?

        /// The waiting exporter, if any, to resume once the lock is released.
        mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
            defer { self.waiter = nil }
            return self.waiter
        }

        /// Moves the batch being filled out, and starts the next one in spare storage when there is some.
        mutating func takeFilling(capacity: Int) -> EncodedSpans {
            let next = self.spare.popLast().map(ProtobufWriter.init(reusing:)) ?? ProtobufWriter(capacity: capacity)
            let batch = EncodedSpans(bytes: self.filling.bytes, count: self.fillingCount)
            self.filling = next
            self.fillingCount = 0
            return batch
        }
    }

    /// A queue of `capacity` spans, exported `batchSize` at a time (at most `capacity`).
    init(capacity: Int, batchSize: Int) {
        self.capacity = max(capacity, 1)
        self.batchSize = min(max(batchSize, 1), self.capacity)
        self.reservedBytes = Self.bytesPerSpan * min(self.batchSize, Self.reservedSpans)
        self.state = Mutex(State(filling: ProtobufWriter(capacity: self.reservedBytes)))
    }

    /// Room kept per span of a batch: a purchase's spans take 250 to 350 bytes.
    private static let bytesPerSpan = 384
    /// Spans of a batch that room is reserved for at most: a batch size of millions would otherwise reserve
    /// gigabytes, and fail, at start.
    private static let reservedSpans = 1024

    /// Encodes `span` into the batch being filled, or drops it when the queue is full; wakes the exporter when a
    /// batch is full.
    func append(_ span: FinishedSpan) {
        let waiter: CheckedContinuation<Void, Never>? = self.state.withLock { state in
            guard state.queued < self.capacity else {
                state.dropped += 1
                return nil
            }
            state.filling.scopeSpan(span)
            state.fillingCount += 1
            state.queued += 1
            guard state.fillingCount >= self.batchSize else { return nil }
            state.full.append(state.takeFilling(capacity: self.reservedBytes))
            return state.takeWaiter()
        }
        waiter?.resume()
    }

    /// Waits until a batch is full, ``wake()`` is called or the buffer is closed, whichever comes first.
    func waitForBatch() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = self.state.withLock { state in
                guard state.full.isEmpty, state.closedAt == nil else { return true }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Wakes a waiting exporter, as its schedule does.
    func wake() {
        self.state.withLock { $0.takeWaiter() }?.resume()
    }

    /// Stops waiting for good: the exporter drains what is left and stops. Spans may still be appended.
    func close() {
        self.state.withLock { state in
            if state.closedAt == nil { state.closedAt = .now }
            return state.takeWaiter()
        }?.resume()
    }

    /// Takes the oldest full batch, or else the spans of the batch being filled, and when the buffer was closed, if
    /// it was.
    func take() -> (spans: EncodedSpans, closedAt: ContinuousClock.Instant?) {
        self.state.withLock { state in
            let spans: EncodedSpans
            if !state.full.isEmpty {
                spans = state.full.removeFirst()
            } else if state.fillingCount > 0 {
                spans = state.takeFilling(capacity: self.reservedBytes)
            } else {
                spans = EncodedSpans(bytes: [], count: 0)
            }
            state.queued -= spans.count
            return (spans, state.closedAt)
        }
    }

    /// Drops every span queued, full batches and the one being filled; how many there were.
    func discardQueued() -> Int {
        self.state.withLock { state in
            defer {
                state.full = []
                state.filling = ProtobufWriter()
                state.fillingCount = 0
                state.queued = 0
            }
            return state.queued
        }
    }

    /// Takes the storage of a batch that was sent, leaving `bytes` empty, for a later batch to fill; storage that
    /// large spans grew past twice a batch's reserved room is let go instead, so that a burst of them does not keep
    /// its memory for good.
    func reuse(_ bytes: inout [UInt8]) {
        var storage: [UInt8] = []
        swap(&storage, &bytes)
        guard storage.capacity > 0, storage.capacity <= 2 * self.reservedBytes else { return }
        // Emptied here, where it is the only reference: `ProtobufWriter(reusing:)` then keeps its room.
        storage.removeAll(keepingCapacity: true)
        self.state.withLock { state in
            // Two are enough: one filling, one being sent.
            if state.spare.count < 2 { state.spare.append(storage) }
        }
    }

    /// The count of spans dropped since the last call.
    func takeDropped() -> Int {
        self.state.withLock { state in
            defer { state.dropped = 0 }
            return state.dropped
        }
    }
}
