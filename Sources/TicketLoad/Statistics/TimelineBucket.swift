import Histogram

/// What happened during one second of a run (by when the answer, or the error, arrived).
public struct TimelineBucket: Sendable {
    /// HTTP answers read.
    public var responses = 0
    /// `201` answers: tickets sold.
    public var purchases = 0
    /// Connect, read and timeout errors.
    public var errors = 0
    /// The answers' latencies.
    public var latency = LatencyHistogram(digits: .two)

    /// An empty second.
    public init() {}

    /// Adds another bucket of the same second.
    public mutating func add(_ other: TimelineBucket) {
        self.responses += other.responses
        self.purchases += other.purchases
        self.errors += other.errors
        self.latency.add(other.latency)
    }
}
