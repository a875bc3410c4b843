/// What an instance last told Redis about its fallback: written at every refresh while it reaches Redis, so it is
/// the instance's state as of ``reportedAt`` and says nothing about what happened after.
public struct InstanceReport: Sendable, Hashable, Codable {
    /// The instance's mode when it reported, or `stopped` after a graceful shutdown.
    public var mode: String
    /// Fallback sales in its journal not yet settled, when it reported.
    public var journalBacklog: Int
    /// When it reported, in milliseconds since 1970.
    public var reportedAt: Int64
    /// When its latest stay in fallback began (0 if never), in milliseconds since 1970: other instances' view of
    /// when Redis was last unreachable.
    public var lastFallbackAt: Int64

    /// Creates a report.
    public init(mode: String, journalBacklog: Int, reportedAt: Int64, lastFallbackAt: Int64) {
        self.mode = mode
        self.journalBacklog = journalBacklog
        self.reportedAt = reportedAt
        self.lastFallbackAt = lastFallbackAt
    }

    /// Whether the instance had nothing to settle when it reported.
    public var isSettled: Bool { self.journalBacklog == 0 && self.mode != FallbackMode.fallback.rawValue }

    /// The report as stored in Redis: `mode backlog reportedAt lastFallbackAt`.
    public var encoded: String { "\(self.mode) \(self.journalBacklog) \(self.reportedAt) \(self.lastFallbackAt)" }

    /// Reads a report as stored in Redis, or `nil` when it is not one.
    public init?(encoded: String) {
        let parts = encoded.split(separator: " ")
        guard parts.count == 4, let backlog = Int(parts[1]), let reportedAt = Int64(parts[2]), let last = Int64(parts[3]) else {
            return nil
        }
        self.init(mode: String(parts[0]), journalBacklog: backlog, reportedAt: reportedAt, lastFallbackAt: last)
    }
}
