import Logging
import RESPClient
import RedisTestSupport
import Synchronization
import Testing
import TicketCore

@testable import TicketRedis

/// Events seeded in stripes (`event:{ID#k}:…`), against a real Redis: sold out only when every stripe is, one
/// answer per purchase id across stripes, counts and audit summed over stripes.
@Suite(.timeLimit(.minutes(5))) struct StripedEventTests {
    private static let event = EventID("1")!

    /// A purchase id whose first stripe, of `stripes`, is `index`.
    private static func purchaseID(startingAt index: Int, of stripes: Int) -> PurchaseID {
        while true {
            let id = PurchaseID.random()
            if EventStripe.first(for: id, of: Self.event, stripes: stripes).index == index { return id }
        }
    }

    /// Runs `count` anonymous purchases of event 1 at once; returns the tickets sold and the refusals' codes.
    private static func buy(_ store: RedisTicketStore, count: Int) async -> (tickets: [String], refusals: [PurchaseError.Code]) {
        let (tickets, errors) = await concurrently(count) { () async throws(PurchaseError) in
            try await store.purchase(request("1")).purchase.ticketID
        }
        return (tickets, errors.map(\.code))
    }

    @Test func aPurchaseStartsOnAStripeChosenByItsIDAlone() {
        var perStripe = [0, 0, 0]
        for _ in 0..<3000 {
            let id = PurchaseID.random()
            let first = EventStripe.first(for: id, of: Self.event, stripes: 3)
            #expect(first == EventStripe.first(for: id, of: Self.event, stripes: 3))
            perStripe[first.index] += 1
        }
        #expect(perStripe.allSatisfy { $0 > 800 }, "\(perStripe)")
        #expect(EventStripe(eventID: Self.event, index: 2).andTheRest(of: 3).map(\.index) == [2, 0, 1])
        #expect(EventKeys(EventStripe(eventID: Self.event, index: 2)).tickets == "event:{1#2}:tickets")
        #expect(EventKeys(EventStripe(eventID: Self.event, index: 0)).tickets == "event:{1}:tickets")
    }

    @Test func everyTicketOfEveryStripeSellsOnceThenSoldOut() async throws {
        try await withStore { redis, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 31, perUserLimit: 0, stripes: 3, reset: false)
            #expect(try await redis.command("LRANGE", "event:{1#1}:tickets", "0", "2") == "2\n5\n8")
            let seeded = try #require(try await store.event(Self.event))
            #expect(seeded.capacity == 31 && seeded.available == 31 && seeded.sold == 0 && seeded.perUserLimit == 0)

            let (tickets, refusals) = await Self.buy(store, count: 40)
            #expect(tickets.count == 31 && Set(tickets) == Set((1...31).map(String.init)))
            #expect(refusals == Array(repeating: .soldOut, count: 9))
            for stripe in ["1", "1#1", "1#2"] {
                #expect(try await redis.command("LLEN", "event:{\(stripe)}:tickets") == "0")
            }
            let sold = try #require(try await store.event(Self.event))
            #expect(sold.capacity == 31 && sold.available == 0 && sold.sold == 31)
            let audit = try await store.audit()
            #expect(audit.isClean, "\(audit)")
            #expect(audit.events.map(\.seeded) == [31] && audit.events.map(\.sold) == [31])
        }
    }

    /// A repeated Idempotency-Key finds its purchase on a later stripe even when its first stripe holds tickets
    /// again (an escrow given back): it is answered with the same ticket, never sold a second.
    @Test func aRepeatedPurchaseIDIsFoundOnWhicheverStripeSoldIt() async throws {
        try await withStore { redis, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 6, perUserLimit: 0, stripes: 3, reset: false)
            // Stripe 0 holds tickets 1 and 4: one goes to an escrow, the other is sold.
            let escrow = RedisEscrow(client: store.client, instance: InstanceID("a")!)
            #expect(try await escrow.take(event: Self.event, size: 1, reserve: 0)?.tickets == ["4"])
            let first = try await store.purchase(request("1", id: Self.purchaseID(startingAt: 0, of: 3)))
            #expect(first.purchase.ticketID == "1")

            let id = Self.purchaseID(startingAt: 0, of: 3)
            let keyed = PurchaseRequest(eventID: Self.event, userID: nil, purchaseID: id, requestedAt: 1_790_000_000_000, purchaseIDIsPrivate: false)
            let sale = try await store.purchase(keyed)
            #expect(sale.purchase.ticketID == "2" && !sale.isReplay, "stripe 0 is empty: stripe 1 sells")

            #expect(try await escrow.giveBack(event: Self.event) == 1)
            #expect(try await redis.command("LRANGE", "event:{1}:tickets", "0", "-1") == "4")
            var again = keyed
            again.requestedAt += 1000
            let replay = try await store.purchase(again)
            #expect(replay.isReplay && replay.purchase == sale.purchase)
            #expect(try await store.purchase(id) == sale.purchase, "the ledger lookup searches every stripe")
            #expect(try await store.audit().isClean)
        }
    }

    /// An Idempotency-Key sent many times at once, to two instances, buys one ticket, even while its first stripe
    /// empties and refills (an instance's escrow taken and given back): the requests take turns, and all but the
    /// first replay its sale (or, kept waiting past the lock's patience, sell nothing). Before, a request that found
    /// the first stripe empty bought on the second while a twin, refused nothing yet, bought on the first.
    @Test func twinsOfAKeyedPurchaseBuyOneTicketWhileTheirFirstStripeEmptiesAndRefills() async throws {
        try await withStore { redis, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 400, perUserLimit: 0, stripes: 2, reset: false)
            // Stripe 0's tickets in instance `ghost`'s escrow, one of them going back and forth to the pool.
            let pool = "event:{1}:tickets"
            let escrow = "event:{1}:escrow:ghost"
            _ = try await redis.command("EVAL", "while redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT') do end", "2", pool, escrow)
            _ = try await redis.command("SADD", "event:{1}:escrows", "ghost")
            let flipping = Task {
                while !Task.isCancelled {
                    for (from, to) in [(escrow, pool), (pool, escrow)] {
                        let move = RESPCommand("LMOVE", .string(from), .string(to), "LEFT", "RIGHT")
                        _ = try? await store.client.execute(move, options: RedisCommandOptions())
                    }
                }
            }
            // A second instance on the same Redis.
            let other = RedisTicketStore(client: store.client, logger: Logger(label: "test.other"))
            var doubled: [String] = []
            for _ in 0..<60 {
                let id = Self.purchaseID(startingAt: 0, of: 2)
                let keyed = PurchaseRequest(
                    eventID: Self.event,
                    userID: nil,
                    purchaseID: id,
                    requestedAt: 1_790_000_000_000,
                    purchaseIDIsPrivate: false
                )
                let turn = Atomic(0)
                let (sales, failures) = await concurrently(12) { () async throws(PurchaseError) in
                    let instance = turn.add(1, ordering: .relaxed).newValue % 2 == 0 ? store : other
                    return try await instance.purchase(keyed)
                }
                // A twin that waits longer than the lock's patience (a loaded machine) hears 503 with nothing sold:
                // allowed. A second ticket, or no ticket at all, is not.
                #expect(
                    failures.allSatisfy { $0.code == .unavailable && $0.message.hasSuffix("nothing was sold") && !$0.outcomeUnknown },
                    "\(failures)"
                )
                if Set(sales.map(\.purchase.ticketID)).count != 1 || sales.filter({ !$0.isReplay }).count != 1 {
                    doubled.append("\(id): \(sales.map { "\($0.purchase.ticketID)\($0.isReplay ? " (replay)" : "")" })")
                }
            }
            flipping.cancel()
            _ = await flipping.value
            #expect(doubled.isEmpty, "one key, not exactly one ticket and one first answer: \(doubled)")
            let audit = try await store.audit()
            #expect(audit.isClean, "\(audit)")
        }
    }

    /// The fallback's escrow of a striped event: a share of every stripe, each sale settled in its ticket's stripe.
    @Test func anEscrowTakesFromEveryStripeAndSettlesEachSaleWhereItsTicketCameFrom() async throws {
        try await withStore { redis, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 30, perUserLimit: 0, stripes: 3, reset: false)
            let escrow = RedisEscrow(client: store.client, instance: InstanceID("a")!)
            // Two from the tail of each stripe's pool: 25 and 28 of stripe 0, 26 and 29 of stripe 1, 27 and 30 of 2.
            let block = try #require(try await escrow.take(event: Self.event, size: 6, reserve: 0))
            #expect(Set(block.tickets) == ["25", "28", "26", "29", "27", "30"])
            let terms = try await escrow.terms(event: Self.event)
            #expect(terms?.capacity == 30)
            #expect(terms?.pool == 24)
            #expect(try #require(try await store.event(Self.event)).available == 30, "escrowed tickets are still available")

            let sales = ["29", "27", "28"].map { Purchase(purchaseID: .random(), eventID: Self.event, ticketID: $0, userID: nil, purchasedAt: 1) }
            #expect(try await escrow.settle(event: Self.event, sales: sales) == [.recorded, .recorded, .recorded])
            for stripe in ["1", "1#1", "1#2"] {
                #expect(try await redis.command("HLEN", "event:{\(stripe)}:purchases") == "1", "stripe {\(stripe)}")
            }
            #expect(try await escrow.giveBack(event: Self.event) == 3)
            let event = try #require(try await store.event(Self.event))
            #expect(event.sold == 3 && event.available == 27)
            let audit = try await store.audit()
            #expect(audit.isClean, "\(audit)")
        }
    }

    @Test func theLedgerIsPagedOverEveryStripe() async throws {
        try await withStore { _, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 30, perUserLimit: 0, stripes: 3, reset: false)
            let (tickets, _) = await Self.buy(store, count: 30)
            var listed: [String] = []
            var cursor: LedgerPage.Cursor? = .start
            while let page = cursor {
                let ledger = try await store.purchases(of: Self.event, from: page)
                listed += ledger.purchases.map(\.ticketID)
                cursor = ledger.next
            }
            #expect(listed.sorted() == tickets.sorted() && listed.count == 30)
        }
    }

    @Test func reseedingKeepsOrResetsEveryStripe() async throws {
        try await withStore { redis, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 9, perUserLimit: 0, stripes: 3, reset: false)
            _ = await Self.buy(store, count: 4)
            let kept = try await seeder.seed(events: 1, ticketsPerEvent: 9, perUserLimit: 0, stripes: 3, reset: false)
            #expect(kept.map(\.created) == [false] && kept.map(\.available) == [5])

            let reset = try await seeder.seed(events: 1, ticketsPerEvent: 12, perUserLimit: 0, reset: true)
            #expect(reset.map(\.created) == [true])
            #expect(try await redis.command("EXISTS", "event:{1#1}:meta", "event:{1#2}:purchases", "event:{1#2}:tickets") == "0")
            let event = try #require(try await store.event(Self.event))
            #expect(event.capacity == 12 && event.available == 12 && event.sold == 0)
            #expect(try await store.audit().isClean)
        }
    }

    @Test func theAuditFindsATicketInTheWrongStripeAndAPurchaseInTwo() async throws {
        try await withStore { redis, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 6, perUserLimit: 0, stripes: 2, reset: false)
            // Ticket 2 belongs to stripe 1: moved into stripe 0's pool, and a purchase id recorded in both ledgers.
            _ = try await redis.command("LREM", "event:{1#1}:tickets", "1", "2")
            _ = try await redis.command("RPUSH", "event:{1}:tickets", "2")
            _ = try await redis.command("LREM", "event:{1}:tickets", "1", "1")
            _ = try await redis.command("LREM", "event:{1#1}:tickets", "1", "4")
            _ = try await redis.command("HSET", "event:{1}:purchases", "p1", "1  1")
            _ = try await redis.command("HSET", "event:{1#1}:purchases", "p1", "4  1")
            let audit = try await store.audit()
            let problems = audit.events.flatMap(\.problems)
            #expect(problems.contains { $0.hasPrefix("stripe 0:") && $0.contains("outside") && $0.contains("2") }, "\(problems)")
            #expect(problems.contains { $0.contains("purchase ids in the ledgers of two stripes") && $0.contains("p1") }, "\(problems)")
        }
    }

    /// A ticket sold in two stripes' ledgers is named as sold twice: it was reported only as outside one stripe
    /// (found by black-box testing).
    @Test func theAuditNamesATicketSoldInTheLedgersOfTwoStripes() async throws {
        try await withStore { redis, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 6, perUserLimit: 0, stripes: 2, reset: false)
            _ = try await redis.command("LREM", "event:{1}:tickets", "1", "1")
            _ = try await redis.command("HSET", "event:{1}:purchases", "p1", "1  1")
            _ = try await redis.command("HSET", "event:{1#1}:purchases", "p2", "1  1")
            let problems = try await store.audit().events.flatMap(\.problems)
            #expect(problems.contains("1 tickets sold in the ledgers of two stripes: 1 (stripes 0 and 1)"), "\(problems)")
        }
    }
}
