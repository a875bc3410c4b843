import Logging
import RESPClient
import RedisTestSupport
import Testing
import TicketCore
import TicketRedis

/// `escrow-take.lua`, `escrow-return.lua`, `settle.lua` and what the audit and the snapshot make of an escrow.
@Suite(.timeLimit(.minutes(5))) struct EscrowScriptTests {
    let event = EventID("1")!
    let instance = InstanceID("alpha")!

    /// A store, a seeder and the escrow of instance `alpha` on a private Redis.
    func withEscrow(
        _ body: @Sendable (RedisServerFixture, RedisTicketStore, TicketSeeder, RedisEscrow) async throws -> Void
    ) async throws {
        try await withClient { redis, client in
            let logger = Logger(label: "test.escrow")
            let store = RedisTicketStore(client: client, logger: logger)
            try await store.prepare()
            try await body(redis, store, TicketSeeder(client: client, logger: logger), RedisEscrow(client: client, instance: self.instance))
        }
    }

    func sale(_ ticket: String, user: String? = nil, id: PurchaseID = .random()) -> Purchase {
        Purchase(purchaseID: id, eventID: self.event, ticketID: ticket, userID: user.flatMap(UserID.init), purchasedAt: 1_790_000_000_000)
    }

    @Test func takeMovesTicketsFromThePoolTailAndRespectsTheReserve() async throws {
        try await withEscrow { redis, store, seeder, escrow throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 10, perUserLimit: 2, reset: false)
            let block = try #require(try await escrow.take(event: self.event, size: 3, reserve: 0))
            #expect(block.tickets == ["10", "9", "8"] && block.perUserLimit == 2)
            #expect(try await escrow.take(event: self.event, size: 3, reserve: 0)?.tickets == block.tickets, "a repeat takes nothing more")
            #expect(try await escrow.take(event: self.event, size: 20, reserve: 5)?.tickets.count == 5, "the pool keeps its reserve")
            #expect(try await escrow.take(event: EventID("nope")!, size: 3, reserve: 0) == nil)
            let snapshot = try #require(try await store.event(self.event))
            #expect(snapshot.available == 10 && snapshot.sold == 0, "available counts the escrow")
            let audit = try await store.audit()
            #expect(audit.isClean, "\(audit)")
            #expect(audit.events[0].available == 5 && audit.events[0].escrowed == 5)
            #expect(try await escrow.giveBack(event: self.event) == 5)
            #expect(try await redis.command("LLEN", "event:{1}:tickets") == "10")
            #expect(try await redis.command("EXISTS", "event:{1}:escrow:alpha") == "0")
            #expect(try await store.audit().isClean)
        }
    }

    /// A reset has every instance give its escrow back first: its copy could otherwise sell, while Redis is out of
    /// its reach, tickets that the new pool holds again.
    @Test func aResetWaitsForEveryEscrowToComeBackAndNoneIsTakenMeanwhile() async throws {
        try await withEscrow { redis, store, seeder, escrow throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 10, perUserLimit: 0, reset: false)
            #expect(try await escrow.take(event: self.event, size: 3, reserve: 0)?.tickets == ["10", "9", "8"])
            let reset = Task { try await seeder.seed(events: 1, ticketsPerEvent: 10, perUserLimit: 0, reset: true) }
            try await waitUntil(timeout: .seconds(10), "the reset begun") { try await redis.command("EXISTS", "event:{1}:resetting") == "1" }
            let lifetime = try #require(Int(try await redis.command("PTTL", "event:{1}:resetting")))
            #expect((1...10_000).contains(lifetime), "the mark lapses unless renewed, so a killed seeder leaves none for long")
            #expect(try await escrow.terms(event: self.event)?.recalled == true)
            #expect(try await escrow.take(event: self.event, size: 5, reserve: 0) == nil, "no escrow is taken during a reset")
            #expect(try await redis.command("LLEN", "event:{1}:tickets") == "7", "nothing is deleted while an escrow is held")

            #expect(try await escrow.giveBack(event: self.event) == 3)
            #expect(try await reset.value.map(\.created) == [true])
            let terms = try await escrow.terms(event: self.event)
            #expect(terms?.capacity == 10 && terms?.recalled == false)
            #expect(try await escrow.take(event: self.event, size: 3, reserve: 0)?.tickets == ["10", "9", "8"], "escrow is taken again")
            let audit = try await store.audit()
            #expect(audit.isClean, "\(audit)")
        }
    }

    @Test func aResetIsRefusedWhileAnEscrowStaysAndDeletesNothingUnlessForced() async throws {
        try await withClient { redis, client in
            let logger = Logger(label: "test.escrow")
            let store = RedisTicketStore(client: client, logger: logger)
            try await store.prepare()
            let escrow = RedisEscrow(client: client, instance: self.instance)
            _ = try await TicketSeeder(client: client, logger: logger).seed(events: 1, ticketsPerEvent: 10, perUserLimit: 0, reset: false)
            _ = try await store.purchase(request("1"))
            #expect(try await escrow.take(event: self.event, size: 3, reserve: 0)?.tickets == ["10", "9", "8"])

            let impatient = TicketSeeder(client: client, logger: logger, escrowRecall: .wait(.milliseconds(200)))
            let error = await #expect(throws: SeedError.self) {
                try await impatient.seed(events: 1, ticketsPerEvent: 10, perUserLimit: 0, reset: true)
            }
            guard case .escrowHeld(let event, let instances, _) = error else {
                Issue.record("not refused for the escrow: \(String(describing: error))")
                return
            }
            #expect(event == self.event && instances == ["alpha"])
            #expect(try await redis.command("LLEN", "event:{1}:tickets") == "6")
            #expect(try await redis.command("HLEN", "event:{1}:purchases") == "1")
            #expect(try await redis.command("EXISTS", "event:{1}:resetting") == "0", "the refused reset is given up")
            #expect(try await escrow.take(event: self.event, size: 4, reserve: 0)?.tickets.count == 4, "escrow is taken again")

            let forced = TicketSeeder(client: client, logger: logger, escrowRecall: .force)
            #expect(try await forced.seed(events: 1, ticketsPerEvent: 10, perUserLimit: 0, reset: true).map(\.created) == [true])
            #expect(try await redis.command("EXISTS", "event:{1}:escrow:alpha", "event:{1}:escrows") == "0")
            #expect(try await redis.command("LLEN", "event:{1}:tickets") == "10")
            let audit = try await store.audit()
            #expect(audit.isClean, "\(audit)")
        }
    }

    @Test func settleRecordsOnceAndCountsTheBuyer() async throws {
        try await withEscrow { redis, store, seeder, escrow throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 10, perUserLimit: 2, reset: false)
            _ = try await escrow.take(event: self.event, size: 3, reserve: 0)
            let sales = [self.sale("10", user: "alice"), self.sale("9")]
            #expect(try await escrow.settle(event: self.event, sales: sales) == [.recorded, .recorded])
            let digest = try await redis.command("DEBUG", "DIGEST")
            #expect(try await escrow.settle(event: self.event, sales: sales) == [.alreadySettled, .alreadySettled])
            #expect(try await redis.command("DEBUG", "DIGEST") == digest, "a replayed journal changes nothing")
            #expect(try await redis.command("HGET", "event:{1}:users", "alice") == "1")
            #expect(try await redis.command("LRANGE", "event:{1}:escrow:alpha", "0", "-1") == "8")
            let audit = try await store.audit()
            #expect(audit.isClean, "\(audit)")
            #expect(audit.events[0].sold == 2 && audit.events[0].escrowed == 1)
        }
    }

    @Test func theJournalWinsOverRedisSaleOfTheSamePurchase() async throws {
        try await withEscrow { redis, store, seeder, escrow throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 10, perUserLimit: 2, reset: false)
            _ = try await escrow.take(event: self.event, size: 3, reserve: 0)
            // Redis sold ticket 1 for the purchase; the buyer was answered from escrow with ticket 10.
            let id = PurchaseID.random()
            let bought = try await store.purchase(request("1", user: "alice", id: id)).purchase
            #expect(bought.ticketID == "1")
            #expect(try await escrow.settle(event: self.event, sales: [self.sale("10", user: "alice", id: id)]) == [.replacedRedisSale])
            #expect(try await redis.command("LINDEX", "event:{1}:tickets", "0") == "1", "Redis's ticket is back in the pool")
            #expect(try await redis.command("HGET", "event:{1}:users", "alice") == "1", "the purchase counts once")
            #expect(try await store.audit().isClean)
        }
    }

    @Test func aTicketNoLongerInTheEscrowIsAConflict() async throws {
        try await withEscrow { redis, store, seeder, escrow throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 10, perUserLimit: 0, reset: false)
            _ = try await escrow.take(event: self.event, size: 3, reserve: 0)
            try await escrow.giveBack(event: self.event)
            let outcomes = try await escrow.settle(event: self.event, sales: [self.sale("10")])
            #expect(outcomes == [.notInEscrow] && outcomes[0].isConflict)
            #expect(try await store.audit().isClean, "the ticket left the pool it had gone back to")
        }
    }
}
