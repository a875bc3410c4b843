/// When the escrow of another instance may go back to the pool without `force`: only when Redis's records prove
/// that instance has nothing to settle and can no longer sell from it.
///
/// A fallback sale is journaled on the selling instance's disk only; Redis learns of it when the instance
/// settles. What Redis can know is the instance's last report (``InstanceReport``) and when Redis itself, or
/// any other instance, last saw an outage. The release is refused when:
///
/// - the instance has no report: it never made one, or its escrow was released already (which forgets it), and
///   nothing is known of its journal;
/// - its last report shows fallback mode or unsettled sales;
/// - it reported less than `goneAfter` ago: it looks alive, and a live instance sells from the escrow it holds;
/// - Redis started after that report, or another instance entered fallback after it: Redis was unreachable since,
///   and the instance may have sold from escrow then and died before settling.
///
/// What no record can show is an outage of that instance alone (its own network) after its last report,
/// followed by its death: that is the case `force` leaves to the operator, who can look at its `FALLBACK_DIR`.
public struct EscrowReleasePolicy: Sendable {
    /// How long after its last report an instance counts as gone, in milliseconds.
    public var goneAfterMillis: Int64

    /// Creates the policy.
    public init(goneAfterMillis: Int64) { self.goneAfterMillis = goneAfterMillis }

    /// Why releasing `instance`'s escrow is refused, or `nil` when it may go back.
    /// - Parameters:
    ///   - report: The instance's last report, if any.
    ///   - others: The other instances' last reports.
    ///   - now: Redis's clock, in milliseconds since 1970.
    ///   - redisStartedAt: When the Redis process started, in milliseconds since 1970.
    public func refusal(report: InstanceReport?, others: [InstanceReport], now: Int64, redisStartedAt: Int64) -> String? {
        guard let report else {
            return "the instance has no report in Redis (it never reported, or its escrow was released already): nothing is known of its journal"
        }
        guard report.isSettled else {
            return
                "its last report shows \(report.journalBacklog) unsettled fallback sales (mode \(report.mode)): restart it with its FALLBACK_DIR so it settles them"
        }
        let silent = now - report.reportedAt
        guard silent >= self.goneAfterMillis else {
            return
                "it reported \(silent) ms ago and looks alive (gone after \(self.goneAfterMillis) ms): stop it first; a graceful stop gives the escrow back"
        }
        if redisStartedAt > report.reportedAt {
            return "Redis restarted after its last report: it may have sold from escrow while Redis was down"
        }
        if let outage = others.map(\.lastFallbackAt).max(), outage > report.reportedAt {
            return "another instance lost Redis after its last report: it may have sold from escrow then"
        }
        return nil
    }
}
