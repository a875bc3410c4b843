/// How well the client reaches Redis, as reported by ``RedisClient/health`` and ``RedisClient/healthUpdates()``.
public enum RedisHealth: String, Sendable, Hashable, CustomStringConvertible {
    /// Every connection is up.
    case up
    /// Some connections are up; commands still go through on those.
    case degraded
    /// No connection is up; commands fail fast with `notSent(.circuitOpen)` once a connect attempt has failed.
    case down

    public var description: String { self.rawValue }
}
