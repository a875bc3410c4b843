/// How the ticket store is doing, for `/health`.
public struct StoreHealth: Sendable, Hashable, Codable {
    /// `up`, `degraded` or `down`.
    public var status: String
    /// The round trip of a probe (a Redis `PING`) in milliseconds, when it answered.
    public var latencyMs: Double?
    /// A short explanation when not up.
    public var detail: String?
    /// The fallback's mode, escrow and journal backlog, for a store that has one.
    public var fallback: FallbackStatus?

    /// Creates a health report.
    public init(status: String, latencyMs: Double? = nil, detail: String? = nil, fallback: FallbackStatus? = nil) {
        self.status = status
        self.latencyMs = latencyMs
        self.detail = detail
        self.fallback = fallback
    }
}
