import Histogram

/// Latencies in microseconds in an HDR histogram: three significant digits from 1 µs to one hour.
public struct LatencyHistogram: Sendable {
    /// The underlying histogram, in microseconds.
    public private(set) var histogram: Histogram<UInt64>

    /// An empty histogram with `digits` significant digits (three for the run, two for each second of the timeline).
    public init(digits: SignificantDigits = .three) {
        self.histogram = Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: digits)
    }

    /// Records one latency given in nanoseconds (at least 1 µs; longer than an hour counts as an hour).
    public mutating func record(nanoseconds: UInt64) {
        self.histogram.record(min(max(nanoseconds / 1000, 1), 3_600_000_000))
    }

    /// Adds another histogram's values.
    public mutating func add(_ other: LatencyHistogram) {
        self.histogram.add(other.histogram)
    }

    /// How many latencies were recorded.
    public var count: UInt64 { self.histogram.totalCount }

    /// The latency at `percentile` (0…100) in milliseconds; 0 when empty.
    public func milliseconds(atPercentile percentile: Double) -> Double {
        guard self.count > 0 else { return 0 }
        return Double(self.histogram.valueAtPercentile(percentile)) / 1000
    }

    /// The largest latency in milliseconds; 0 when empty.
    public var maxMilliseconds: Double {
        self.count > 0 ? Double(self.histogram.max) / 1000 : 0
    }

    /// The mean latency in milliseconds; 0 when empty.
    public var meanMilliseconds: Double {
        self.count > 0 ? self.histogram.mean / 1000 : 0
    }
}
