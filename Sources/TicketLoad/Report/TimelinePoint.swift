/// One second of a run as the report and the plot show it.
public struct TimelinePoint: Sendable, Hashable, Codable {
    /// Seconds since the run started (the start of the second).
    public var second: Int
    /// The seconds this point covers: 1, less for the last second of the run.
    public var length: Double
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

    /// The point for bucket `second` of a run that lasted `runSeconds`.
    public init(second: Int, bucket: TimelineBucket, runSeconds: Double) {
        self.second = second
        self.length = min(1, max(runSeconds - Double(second), 0.001))
        self.responses = bucket.responses
        self.purchases = bucket.purchases
        self.errors = bucket.errors
        self.p50 = bucket.latency.milliseconds(atPercentile: 50)
        self.p99 = bucket.latency.milliseconds(atPercentile: 99)
    }
}
