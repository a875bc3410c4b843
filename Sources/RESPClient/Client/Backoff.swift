/// Exponential backoff with jitter for reconnect attempts.
///
/// The ceiling for attempt *n* (counting from 1) is `initial × 2^(n-1)`, capped at `maximum`; the delay is drawn
/// uniformly from the upper half of that ceiling ("equal jitter"), so attempts of many clients spread out
/// while no attempt follows the previous one at once.
public struct Backoff: Sendable, Hashable {
    /// The ceiling of the first attempt's delay.
    public var initial: Duration
    /// The largest ceiling.
    public var maximum: Duration

    /// Creates a backoff policy.
    public init(initial: Duration = .milliseconds(25), maximum: Duration = .seconds(2)) {
        precondition(initial > .zero && maximum >= initial, "backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
    }

    /// The ceiling for `attempt` (1-based) before jitter.
    public func ceiling(attempt: Int) -> Duration {
        var ceiling = self.initial
        var step = 1
        while step < attempt, ceiling < self.maximum {
            ceiling *= 2
            step += 1
        }
        return min(ceiling, self.maximum)
    }

    /// The delay before `attempt` (1-based), drawn with `generator`.
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = self.ceiling(attempt: attempt)
        let half = ceiling / 2
        let jitterNanoseconds = Int64.random(in: 0...half.nanoseconds, using: &generator)
        return half + .nanoseconds(jitterNanoseconds)
    }

    /// The delay before `attempt` (1-based), drawn with the system generator.
    public func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return self.delay(attempt: attempt, using: &generator)
    }
}
