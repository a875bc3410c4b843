import Testing

@testable import TicketLoad

/// The duplicate audit's rules, on tallies made by hand.
@Suite struct PurchaseAuditTests {
    private let before = ["1": EventCounts(capacity: 10, available: 10, sold: 0, perUserLimit: 2)]

    private func sale(_ ticket: String, purchase: String? = nil, user: String? = nil, key: String? = nil) -> SaleRecord {
        SaleRecord(event: "1", ticketId: ticket, purchaseId: purchase ?? "p\(ticket)", user: user, idempotencyKey: key)
    }

    private func after(sold: Int) -> [String: EventCounts] {
        ["1": EventCounts(capacity: 10, available: 10 - sold, sold: sold, perUserLimit: 2)]
    }

    @Test func distinctTicketsMatchingTheServiceCountPass() {
        var tally = RunTally()
        tally.sales = [self.sale("1"), self.sale("2"), self.sale("3")]
        let audit = PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 3), redis: nil)
        #expect(audit.passed, "\(audit.findings)")
        #expect(audit.distinctTickets == 3)
        #expect(audit.events.first?.soldByServer == 3)
    }

    @Test func aTicketSoldInTwoPurchasesIsADuplicate() {
        var tally = RunTally()
        tally.sales = [self.sale("1"), self.sale("2"), self.sale("2", purchase: "other")]
        let audit = PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 3), redis: nil)
        #expect(!audit.passed)
        #expect(audit.duplicates == [DuplicateSale(event: "1", ticketId: "2", purchaseIds: ["p2", "other"])])
    }

    @Test func onePurchaseNamingTwoTicketsIsFound() {
        var tally = RunTally()
        tally.sales = [self.sale("1", purchase: "same"), self.sale("2", purchase: "same")]
        let audit = PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 2), redis: nil)
        #expect(audit.findings == ["purchase same named 2 different tickets: 1/1, 1/2"])
    }

    @Test func unknownOutcomesWidenTheCountCheckButNoFurther() {
        var tally = RunTally()
        tally.sales = [self.sale("1")]
        tally.errors.timeout = 2
        #expect(PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 3), redis: nil).passed)
        #expect(!PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 4), redis: nil).passed)
        tally.errors.timeout = 0
        #expect(!PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 2), redis: nil).passed)
    }

    /// ticketd answers 503 naming the purchase when it cannot tell whether Redis made it; those sales are documented,
    /// and failed the run before.
    @Test func fiveHundredsThatMayHaveSoldWidenTheCountCheckAsUnansweredRequestsDo() {
        var tally = RunTally()
        tally.sales = [self.sale("1")]
        tally.statusCounts = [201: 1, 503: 2]
        tally.unknownOutcomeAnswers = 2
        #expect(PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 3), redis: nil).passed)
        #expect(!PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 4), redis: nil).passed)
    }

    @Test func fiveHundredsDoNotWidenTheCountCheckButAreNamedAsAPossibleCause() {
        var tally = RunTally()
        tally.sales = [self.sale("1")]
        tally.statusCounts = [201: 1, 503: 2]
        let audit = PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 3), redis: nil)
        #expect(
            audit.findings == [
                "COUNT MISMATCH: event 1: the tester saw 1 tickets sold, the service counts 3 (2 answers were 5xx: did it sell while answering 503?)"
            ]
        )
    }

    @Test func repeatsMustReturnTheOriginalPurchase() {
        let original = self.sale("1", key: "k1")
        var tally = RunTally()
        tally.sales = [original]
        tally.replays = [
            ReplayRecord(original: original, status: 200, ticketId: "1", purchaseId: "p1"),
            ReplayRecord(original: original, status: 503, ticketId: nil, purchaseId: nil),
        ]
        #expect(PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 1), redis: nil).passed)
        tally.replays.append(ReplayRecord(original: original, status: 200, ticketId: "2", purchaseId: "p2"))
        tally.replays.append(ReplayRecord(original: original, status: 409, ticketId: nil, purchaseId: nil))
        let audit = PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 1), redis: nil)
        #expect(audit.findings.count == 2)
        #expect(audit.findings[0].hasPrefix("REPLAY MISMATCH: Idempotency-Key k1"))
        #expect(audit.findings[0].hasSuffix("with ticket 2, purchase p2 instead of ticket 1, purchase p1"), "\(audit.findings[0])")
        #expect(audit.findings[1].hasPrefix("REPLAY REFUSED: Idempotency-Key k1"))
        #expect(audit.replaysReturningOriginal == 1)
    }

    @Test func aBuyerOverTheLimitIsFound() {
        var tally = RunTally()
        tally.sales = [self.sale("1", user: "ann"), self.sale("2", user: "ann"), self.sale("3", user: "ann"), self.sale("4", user: "bob")]
        let audit = PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 4), redis: nil)
        #expect(audit.findings == ["USER LIMIT BROKEN: buyer ann got 3 tickets of event 1, the limit is 2"])
    }

    @Test func redisMustPassAndAgreeWithTheService() {
        var tally = RunTally()
        tally.sales = [self.sale("1")]
        let agreeing = RedisAuditResult(passed: true, soldByEvent: ["1": 1], output: "")
        #expect(PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 1), redis: agreeing).passed)
        let disagreeing = RedisAuditResult(passed: true, soldByEvent: ["1": 2], output: "")
        #expect(
            PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 1), redis: disagreeing).findings
                == ["COUNT MISMATCH: event 1: Redis counts 2 sold, the service 1"]
        )
        let failing = RedisAuditResult(passed: false, soldByEvent: ["1": 1], output: "audit FAILED")
        #expect(
            PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 1), redis: failing).findings == [
                "REDIS AUDIT FAILED: audit FAILED"
            ]
        )
        // Books it could not read are said to be unread, not reported as events missing from them.
        let unread = RedisAuditResult(exitStatus: 69, output: "Error: the books could not be read: cannot reach Redis")
        #expect(
            PurchaseAudit(tally: tally, before: self.before, after: self.after(sold: 1), redis: unread).findings == [
                "REDIS AUDIT NOT MADE: `ticketd audit` could not read the books (is REDIS_URL the service's Redis?): "
                    + "Error: the books could not be read: cannot reach Redis"
            ]
        )
    }

    @Test func ticketdAuditOutputIsRead() {
        let output = "event 1\tseeded 1000\tavailable 0\tsold 1000\tok\nevent 2\tseeded 5\tavailable 3\tsold 2\tok\naudit passed: 2 events\n"
        let result = RedisAuditResult(exitStatus: 0, output: output)
        #expect(result.passed)
        #expect(result.soldByEvent == ["1": 1000, "2": 2])
        #expect(!RedisAuditResult(exitStatus: 1, output: output).passed)
    }
}
