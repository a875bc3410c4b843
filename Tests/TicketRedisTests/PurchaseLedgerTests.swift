import RESPClient
import RedisTestSupport
import Testing
import TicketCore
import TicketRedis

/// The ledger as the PDF tickets read it: lookups by purchase id across events, and `HSCAN` pages.
@Suite(.timeLimit(.minutes(5))) struct PurchaseLedgerTests {
    @Test func aPurchaseIsFoundInWhicheverEventItWasMade() async throws {
        try await withStore { _, store, seeder throws in
            _ = try await seeder.seed(events: 3, ticketsPerEvent: 5, perUserLimit: 0, reset: false)
            let sold = try await store.purchase(request("2", user: "alice")).purchase
            #expect(try await store.purchase(sold.purchaseID) == sold)
            #expect(try await store.purchase(.random()) == nil)
        }
    }

    @Test func pagingThroughTheLedgerListsEveryPurchase() async throws {
        try await withStore { redis, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 2500, perUserLimit: 0, reset: false)
            var sold: Set<PurchaseID> = []
            for index in 0..<2500 {
                sold.insert(try await store.purchase(request("1", user: index % 2 == 0 ? nil : "buyer-\(index)")).purchase.purchaseID)
            }
            // A record that is not a purchase is skipped, not fatal.
            _ = try await redis.command("HSET", "event:{1}:purchases", "not-a-purchase-id", "x y z")

            var listed: [Purchase] = []
            var cursor: LedgerPage.Cursor? = .start
            var pages = 0
            while let current = cursor {
                let page = try await store.purchases(of: EventID("1")!, from: current)
                listed += page.purchases
                cursor = page.next
                pages += 1
            }
            #expect(pages > 1, "a ledger this size takes more than one HSCAN")
            #expect(Set(listed.map(\.purchaseID)) == sold)
            #expect(listed.allSatisfy { $0.eventID.rawValue == "1" && !$0.ticketID.isEmpty })
        }
    }
}
