/// A run second by second, for the progress line and the plot.
public struct Timeline: Sendable {
    /// Bucket `i` covers seconds `i…i+1` after the run started.
    public private(set) var seconds: [TimelineBucket] = []

    /// An empty timeline.
    public init() {}

    /// The bucket of the second that `nanosecondsSinceStart` falls in, created as needed.
    public subscript(nanosecondsSinceStart nanoseconds: UInt64) -> TimelineBucket {
        get {
            let index = Int(nanoseconds / 1_000_000_000)
            return index < self.seconds.count ? self.seconds[index] : TimelineBucket()
        }
        _modify {
            let index = Int(nanoseconds / 1_000_000_000)
            while self.seconds.count <= index { self.seconds.append(TimelineBucket()) }
            yield &self.seconds[index]
        }
    }

    /// Adds another timeline of the same run, second by second.
    public mutating func add(_ other: Timeline) {
        while self.seconds.count < other.seconds.count { self.seconds.append(TimelineBucket()) }
        for (index, bucket) in other.seconds.enumerated() {
            self.seconds[index].add(bucket)
        }
    }
}
