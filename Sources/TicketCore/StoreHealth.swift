/// How the ticket store is doing, for `/health`.
public struct StoreHealth: Sendable, Hashable, Codable {
    /// `up`, `degraded` or `down`.
    public var status: String
    /// The round trip of a probe (a Redis `PING`) in milliseconds, when it answered.
    public var latencyMs: Double?
    /// A short explanation when not up.
    public var detail: String?

    /// Creates a health report.
    public init(status: String, latencyMs: Double? = nil, detail: String? = nil) {
        self.status = status
        self.latencyMs = latencyMs
        self.detail = detail
    }
}
