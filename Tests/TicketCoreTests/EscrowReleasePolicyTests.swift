import Testing
import TicketCore

@Suite struct EscrowReleasePolicyTests {
    let policy = EscrowReleasePolicy(goneAfterMillis: 30_000)
    let settled = InstanceReport(mode: "redis", journalBacklog: 0, reportedAt: 1_000_000, lastFallbackAt: 0)

    @Test func aSettledInstanceSilentLongEnoughIsReleased() {
        #expect(self.policy.refusal(report: self.settled, others: [], now: 1_040_000, redisStartedAt: 0) == nil)
        let stopped = InstanceReport(mode: "stopped", journalBacklog: 0, reportedAt: 1_000_000, lastFallbackAt: 900_000)
        #expect(self.policy.refusal(report: stopped, others: [self.settled], now: 1_040_000, redisStartedAt: 0) == nil)
    }

    @Test func anUnknownOrUnsettledInstanceIsRefused() {
        #expect(self.policy.refusal(report: nil, others: [], now: 1_040_000, redisStartedAt: 0)?.contains("released already") == true)
        let unsettled = InstanceReport(mode: "redis", journalBacklog: 3, reportedAt: 1_000_000, lastFallbackAt: 0)
        #expect(self.policy.refusal(report: unsettled, others: [], now: 1_040_000, redisStartedAt: 0)?.contains("3 unsettled") == true)
        let inFallback = InstanceReport(mode: "fallback", journalBacklog: 0, reportedAt: 1_000_000, lastFallbackAt: 999_000)
        #expect(self.policy.refusal(report: inFallback, others: [], now: 1_040_000, redisStartedAt: 0) != nil)
    }

    @Test func anInstanceThatReportedRecentlyLooksAlive() {
        #expect(self.policy.refusal(report: self.settled, others: [], now: 1_020_000, redisStartedAt: 0)?.contains("looks alive") == true)
    }

    @Test func anOutageAfterTheLastReportMayHideSales() {
        #expect(self.policy.refusal(report: self.settled, others: [], now: 1_040_000, redisStartedAt: 1_010_000)?.contains("Redis restarted") == true)
        let other = InstanceReport(mode: "redis", journalBacklog: 0, reportedAt: 1_039_000, lastFallbackAt: 1_005_000)
        #expect(self.policy.refusal(report: self.settled, others: [other], now: 1_040_000, redisStartedAt: 0)?.contains("another instance") == true)
    }

    @Test func reportsRoundTripThroughTheirRedisForm() {
        #expect(InstanceReport(encoded: self.settled.encoded) == self.settled)
        #expect(InstanceReport(encoded: "redis 1 2") == nil)
    }
}
