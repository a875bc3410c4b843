import RESPClient
import RedisTestSupport
import Testing
import TicketCore
import TicketRedis

/// Every branch of `purchase.lua`, against a real Redis.
@Suite(.timeLimit(.minutes(5))) struct PurchaseScriptTests {
    @Test func sellsEveryTicketOnceThenSaysSoldOut() async throws {
        try await withStore { redis, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 5, perUserLimit: 0, reset: false)
            var tickets: [String] = []
            for _ in 0..<5 {
                let result = try await store.purchase(request("1"))
                #expect(!result.isReplay)
                tickets.append(result.purchase.ticketID)
            }
            #expect(tickets == ["1", "2", "3", "4", "5"])
            let before = try await redis.command("DEBUG", "DIGEST")
            #expect(await refusal { () async throws(PurchaseError) in try await store.purchase(request("1")) } == .soldOut)
            #expect(try await redis.command("DEBUG", "DIGEST") == before, "a refusal changes nothing")
            let event = try #require(try await store.event(EventID("1")!))
            #expect(event.capacity == 5 && event.available == 0 && event.sold == 5)
        }
    }

    /// An empty pool is sold out only once no instance's escrow holds a ticket of the event (the escrows go back
    /// when the pool runs low): until then a buyer hears `escrowHeld`, alone or in a batch.
    @Test func anEmptyPoolIsNotSoldOutWhileAnEscrowHoldsTickets() async throws {
        try await withStore { redis, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 5, perUserLimit: 0, reset: false)
            for _ in 0..<2 { _ = try await redis.command("LMOVE", "event:{1}:tickets", "event:{1}:escrow:other", "RIGHT", "LEFT") }
            // An instance listed with an empty escrow (all of it sold and settled) holds nothing back.
            _ = try await redis.command("SADD", "event:{1}:escrows", "other", "drained")
            for _ in 0..<3 { _ = try await store.purchase(request("1")) }

            let before = try await redis.command("DEBUG", "DIGEST")
            #expect(await refusal { () async throws(PurchaseError) in try await store.purchase(request("1")) } == .escrowHeld)
            let batched = await withTaskGroup(of: PurchaseError.Code?.self) { group in
                for _ in 0..<50 {
                    group.addTask { await refusal { () async throws(PurchaseError) in try await store.purchase(request("1")) } }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(batched == Array(repeating: .escrowHeld, count: 50))
            #expect(try await redis.command("DEBUG", "DIGEST") == before, "a refusal changes nothing")

            for _ in 0..<2 { _ = try await redis.command("LMOVE", "event:{1}:escrow:other", "event:{1}:tickets", "LEFT", "RIGHT") }
            #expect(try await store.purchase(request("1")).purchase.ticketID == "4")
            #expect(try await store.purchase(request("1")).purchase.ticketID == "5")
            #expect(await refusal { () async throws(PurchaseError) in try await store.purchase(request("1")) } == .soldOut)
            #expect(try await store.audit().isClean)
        }
    }

    @Test func anUnknownEventIsRefusedAndNothingIsCreated() async throws {
        try await withStore { redis, store, _ throws in
            #expect(await refusal { () async throws(PurchaseError) in try await store.purchase(request("nope")) } == .unknownEvent)
            #expect(await refusal { () async throws(PurchaseError) in try await store.purchase(request("nope", user: "u1")) } == .unknownEvent)
            #expect(try await redis.command("DBSIZE") == "0")
            #expect(try await store.event(EventID("nope")!) == nil)
        }
    }

    @Test func theSamePurchaseIDReturnsTheOriginalPurchase() async throws {
        try await withStore { _, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 3, perUserLimit: 0, reset: false)
            let id = PurchaseID.random()
            let first = try await store.purchase(request("1", user: "alice", id: id))
            let again = try await store.purchase(PurchaseRequest(eventID: EventID("1")!, userID: UserID("alice"), purchaseID: id, requestedAt: 1))
            #expect(again.isReplay)
            #expect(again.purchase == first.purchase, "the replay reports the original time and ticket")
            let event = try #require(try await store.event(EventID("1")!))
            #expect(event.sold == 1 && event.available == 2)
        }
    }

    @Test func theUserLimitIsCheckedBeforeAnyStockIsTouched() async throws {
        try await withStore { redis, store, seeder throws in
            _ = try await seeder.seed(events: 1, ticketsPerEvent: 10, perUserLimit: 2, reset: false)
            _ = try await store.purchase(request("1", user: "alice"))
            _ = try await store.purchase(request("1", user: "alice"))
            let before = try await redis.command("DEBUG", "DIGEST")
            #expect(await refusal { () async throws(PurchaseError) in try await store.purchase(request("1", user: "alice")) } == .userLimitReached)
            #expect(try await redis.command("DEBUG", "DIGEST") == before)
            // Others, and anonymous buyers, still buy.
            _ = try await store.purchase(request("1", user: "bob"))
            for _ in 0..<3 { _ = try await store.purchase(request("1")) }
            #expect(try await redis.command("HGET", "event:{1}:users", "alice") == "2")
            #expect(try await store.audit().isClean)
        }
    }

    @Test func fiveThousandConcurrentBuyersGetExactlyTheSeededTicketsOnce() async throws {
        try await withStore { redis, store, seeder throws in
            _ = try await seeder.seed(events: 2, ticketsPerEvent: 2000, perUserLimit: 0, reset: false)
            let outcomes = try await withThrowingTaskGroup(of: Result<PurchaseResult, PurchaseError>.self) { group in
                for index in 0..<5000 {
                    group.addTask {
                        do throws(PurchaseError) {
                            return .success(try await store.purchase(request(index % 5 == 0 ? "2" : "1", user: "user-\(index)")))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let sold = outcomes.compactMap { try? $0.get().purchase }.filter { $0.eventID.rawValue == "1" }.map(\.ticketID)
            #expect(sold.count == 2000)
            #expect(Set(sold).count == 2000)
            let refused = outcomes.filter { if case .failure(let error) = $0 { return error.code == .soldOut } else { return false } }
            #expect(refused.count == 2000)
            let report = try await store.audit()
            #expect(report.isClean, "\(report)")
            #expect(report.events.map(\.sold) == [2000, 1000])
            let calls = Int(try await redis.commandStats()["evalsha"]?["calls"] ?? "") ?? 0
            #expect(calls > 0 && calls < 1000, "concurrent purchases of an event share script calls (\(calls) for 5000)")
        }
    }
}
