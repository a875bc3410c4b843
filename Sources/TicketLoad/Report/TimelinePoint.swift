/// One second of a run as the report and the plot show it.
public struct TimelinePoint: Sendable, Hashable, Codable {
    /// Seconds since the run started (the start of the second).
    public var second: Int
    /// Answers read in that second.
    public var responses: Int
    /// `201` answers in that second.
    public var purchases: Int
    /// Errors in that second.
    public var errors: Int
    /// Median latency of that second's answers, in milliseconds.
    public var p50: Double
    /// 99th percentile latency of that second's answers, in milliseconds.
    public var p99: Double

    /// The point for bucket `second`.
    public init(second: Int, bucket: TimelineBucket) {
        self.second = second
        self.responses = bucket.responses
        self.purchases = bucket.purchases
        self.errors = bucket.errors
        self.p50 = bucket.latency.milliseconds(atPercentile: 50)
        self.p99 = bucket.latency.milliseconds(atPercentile: 99)
    }
}
