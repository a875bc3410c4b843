import Synchronization

/// The queue between the spans that end and the exporter: bounded, so that a collector that cannot keep up costs
/// spans, counted, and never memory or purchases.
///
/// A span that ends appends itself under a lock; when the queue reaches a full batch it wakes the exporter, which
/// otherwise wakes on its schedule (``OTLPSpanExporter``).
final class SpanBuffer: Sendable {
    /// Spans held at most; those ending while it is full are dropped.
    let capacity: Int
    /// Spans in one export.
    let batchSize: Int
    private let state: Mutex<State>

    private struct State {
        var spans: [FinishedSpan] = []
        var dropped = 0
        var waiter: CheckedContinuation<Void, Never>?
        /// When ``close()`` was called, if it was.
        var closedAt: ContinuousClock.Instant?

        /// The waiting exporter, if any, to resume once the lock is released.
        mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
            defer { self.waiter = nil }
            return self.waiter
        }
    }

    /// A queue of `capacity` spans, exported `batchSize` at a time (at most `capacity`).
    init(capacity: Int, batchSize: Int) {
        self.capacity = max(capacity, 1)
        self.batchSize = min(max(batchSize, 1), self.capacity)
        self.state = Mutex(State())
    }

    /// Queues `span`, or drops it when the queue is full; wakes the exporter when a batch is ready.
    func append(_ span: FinishedSpan) {
        let waiter: CheckedContinuation<Void, Never>? = self.state.withLock { state in
            guard state.spans.count < self.capacity else {
                state.dropped += 1
                return nil
            }
            state.spans.append(span)
            guard state.spans.count >= self.batchSize else { return nil }
            return state.takeWaiter()
        }
        waiter?.resume()
    }

    /// Waits until a batch is ready, ``wake()`` is called or the buffer is closed, whichever comes first.
    func waitForBatch() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = self.state.withLock { state in
                guard state.spans.count < self.batchSize, state.closedAt == nil else { return true }
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

    /// Takes up to one batch of the queued spans, the oldest first, and when the buffer was closed, if it was.
    func take() -> (spans: [FinishedSpan], closedAt: ContinuousClock.Instant?) {
        self.state.withLock { state in
            let spans: [FinishedSpan]
            if state.spans.count <= self.batchSize {
                spans = state.spans
                state.spans = []
            } else {
                spans = Array(state.spans.prefix(self.batchSize))
                state.spans.removeFirst(self.batchSize)
            }
            return (spans, state.closedAt)
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
