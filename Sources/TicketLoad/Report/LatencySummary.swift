/// The latency percentiles a report shows, in milliseconds.
public struct LatencySummary: Sendable, Hashable, Codable {
    /// The median.
    public var p50: Double
    /// The 90th percentile.
    public var p90: Double
    /// The 99th percentile.
    public var p99: Double
    /// The 99.9th percentile.
    public var p999: Double
    /// The slowest answer.
    public var max: Double
    /// The mean.
    public var mean: Double

    /// The percentiles of `histogram`.
    public init(_ histogram: LatencyHistogram) {
        self.p50 = histogram.milliseconds(atPercentile: 50)
        self.p90 = histogram.milliseconds(atPercentile: 90)
        self.p99 = histogram.milliseconds(atPercentile: 99)
        self.p999 = histogram.milliseconds(atPercentile: 99.9)
        self.max = histogram.maxMilliseconds
        self.mean = histogram.meanMilliseconds
    }
}
