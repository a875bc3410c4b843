import Testing
import TicketCore

@testable import TicketRedis

/// The rules of selling from a local escrow, without Redis or disk.
@Suite(.timeLimit(.minutes(5))) struct LocalEscrowTests {
    let event = EventID("1")!

    func block(_ tickets: [String], limit: Int = 0) -> EscrowBlock {
        EscrowBlock(eventID: self.event, perUserLimit: limit, tickets: tickets)
    }

    @Test func sellsEachTicketOnceAndReplaysAPurchaseID() {
        var escrow = LocalEscrow(mirror: [self.block(["8", "9"])])
        let first = request("1")
        guard case .sold(let sale) = escrow.sell(first) else {
            Issue.record("no sale")
            return
        }
        guard case .replay(let again) = escrow.sell(first) else {
            Issue.record("no replay")
            return
        }
        #expect(again == sale)
        guard case .sold(let second) = escrow.sell(request("1")) else {
            Issue.record("no second sale")
            return
        }
        #expect(Set([sale.ticketID, second.ticketID]) == ["8", "9"])
        guard case .refused(let error) = escrow.sell(request("1")) else {
            Issue.record("sold a third")
            return
        }
        #expect(error.code == .unavailable)
        #expect(escrow.backlog == 2 && escrow.durableSales.isEmpty)
    }

    @Test func redisListNeverOffersAnUnsettledTicketAgain() {
        var escrow = LocalEscrow(mirror: [self.block(["8", "9"])])
        guard case .sold(let sale) = escrow.sell(request("1")) else {
            Issue.record("no sale")
            return
        }
        escrow.journaled(sale)
        // Redis's list still holds the sold ticket until the sale is settled.
        escrow.replace(self.block(["7", "8", "9"]))
        #expect(escrow.available[self.event] == 2)
        #expect(escrow.mirror.first?.tickets.sorted() == ["7", "8", "9"], "the mirror is Redis's list")
        escrow.settled([sale])
        #expect(escrow.backlog == 0)
    }

    @Test func aRestartSubtractsTheJournalFromTheMirror() {
        let sold = Purchase(purchaseID: .random(), eventID: self.event, ticketID: "9", userID: nil, purchasedAt: 1)
        var escrow = LocalEscrow(mirror: [self.block(["8", "9"])], journal: [sold])
        #expect(escrow.available[self.event] == 1 && escrow.durableSales == [sold])
        guard case .sold(let sale) = escrow.sell(request("1")) else {
            Issue.record("no sale")
            return
        }
        #expect(sale.ticketID == "8")
    }

    @Test func aPurchaseWhoseIDAnotherRequestMayCarryIsRefusedUnlessThisEscrowSoldIt() {
        var escrow = LocalEscrow(mirror: [self.block(["8", "9"])])
        // An Idempotency-Key's purchase, perhaps bought through Redis before: only Redis can tell.
        guard case .refused(let error) = escrow.sell(request("1", id: .random())) else {
            Issue.record("sold a keyed purchase that Redis may have sold already")
            return
        }
        #expect(error.code == .unavailable && error.nothingSent)
        #expect(escrow.available[self.event] == 2)
        // One this escrow sold (a keyed purchase answered from escrow before the key check, as an old journal
        // holds) is replayed.
        let journaled = Purchase(purchaseID: .random(), eventID: self.event, ticketID: "7", userID: nil, purchasedAt: 1)
        escrow = LocalEscrow(mirror: [self.block(["7", "8", "9"])], journal: [journaled])
        guard case .replay(let sale) = escrow.sell(request("1", id: journaled.purchaseID)) else {
            Issue.record("no replay of the escrow's own sale")
            return
        }
        #expect(sale == journaled)
    }

    @Test func aNamedBuyerOfALimitedEventIsRefused() {
        var escrow = LocalEscrow(mirror: [self.block(["8"], limit: 2)])
        guard case .refused = escrow.sell(request("1", user: "alice")) else {
            Issue.record("sold past a limit only Redis knows")
            return
        }
        guard case .sold = escrow.sell(request("1")) else {
            Issue.record("an anonymous buyer is served")
            return
        }
    }
}
