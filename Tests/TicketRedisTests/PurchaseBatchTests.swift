import Logging
import RESPClient
import RedisTestSupport
import Testing
import TicketCore

@testable import TicketRedis

/// `purchase.lua` on whole batches, against a real Redis: each purchase judged as if it ran alone, in order.
@Suite(.timeLimit(.minutes(5))) struct PurchaseBatchTests {
    /// Seeds event `id` with tickets "1"…"tickets" and a per-user limit, without the seeder's machinery.
    private static func seed(_ redis: RedisServerFixture, _ id: String, tickets: Int, limit: Int) async throws {
        _ = try await redis.command(["RPUSH", "event:{\(id)}:tickets"] + (1...tickets).map(String.init))
        _ = try await redis.command("HSET", "event:{\(id)}:meta", "capacity", "\(tickets)", "perUserLimit", "\(limit)")
    }

    private static func send(_ requests: [PurchaseRequest], _ client: RedisClient) async -> [Result<PurchaseResult, PurchaseError>] {
        await RedisTicketStore.send(
            PurchaseBatch(requests, stripe: EventStripe(eventID: requests[0].eventID, index: 0)),
            client: client,
            logger: Logger(label: "test.batch")
        )
    }

    /// "ticket" for a sale, "replay ticket" for a replay, the refusal's code otherwise.
    private static func outcomes(_ results: [Result<PurchaseResult, PurchaseError>]) -> [String] {
        results.map { result in
            switch result {
            case .success(let sale): return (sale.isReplay ? "replay " : "") + sale.purchase.ticketID
            case .failure(let error): return "\(error.code)"
            }
        }
    }

    @Test func aBatchIsJudgedInOrderAsIfEachPurchaseRanAlone() async throws {
        try await withClient { redis, client throws in
            try await Self.seed(redis, "1", tickets: 4, limit: 2)
            let batch = [
                request("1", user: "alice"), request("1"), request("1", user: "alice"), request("1", user: "alice"),
                request("1", user: "bob"), request("1"),
            ]
            let results = await Self.send(batch, client)
            // Anonymous buyers are judged first: they take tickets 1 and 2; alice gets 3 and 4 and is then at her
            // limit; bob finds the pool empty.
            #expect(Self.outcomes(results) == ["3", "1", "4", "userLimitReached", "soldOut", "2"])
            #expect(try await redis.command("HGET", "event:{1}:users", "alice") == "2")
            #expect(try await redis.command("HEXISTS", "event:{1}:users", "bob") == "0")
            #expect(try await redis.command("LLEN", "event:{1}:tickets") == "0")
        }
    }

    @Test func whenThePoolRunsOutMidBatchLaterBuyersAreJudgedOnWhatWasReallySold() async throws {
        try await withClient { redis, client throws in
            try await Self.seed(redis, "1", tickets: 1, limit: 2)
            // Alone, one after another: alice buys the last ticket; her next two purchases find the pool empty
            // (she holds 1 of 2, so not her limit); carol too.
            let results = await Self.send(
                [request("1", user: "alice"), request("1", user: "alice"), request("1", user: "alice"), request("1", user: "carol")],
                client
            )
            #expect(Self.outcomes(results) == ["1", "soldOut", "soldOut", "soldOut"])
            #expect(try await redis.command("HGET", "event:{1}:users", "alice") == "1")
            #expect(try await redis.command("HLEN", "event:{1}:purchases") == "1")
        }
    }

    /// The batcher never puts one id twice in a batch (see `PurchaseBatcherTests`); the script still sells once.
    @Test func oneIdTwiceInABatchSellsOnce() async throws {
        try await withClient { redis, client throws in
            try await Self.seed(redis, "1", tickets: 5, limit: 0)
            let id = PurchaseID.random()
            let results = await Self.send([request("1", user: "dora", id: id), request("1"), request("1", user: "dora", id: id)], client)
            #expect(Self.outcomes(results) == ["2", "1", "2"])
            let first = try results[0].get().purchase
            #expect(try results[2].get().purchase == first)
            #expect(try await redis.command("HLEN", "event:{1}:purchases") == "2")
            #expect(try await redis.command("EXISTS", "event:{1}:users") == "0", "no per-user counts without a limit")
        }
    }

    @Test func aRetriedBatchGetsItsOwnSalesBackAndSellsNothingMore() async throws {
        try await withClient { redis, client throws in
            try await Self.seed(redis, "1", tickets: 5, limit: 3)
            let batch = PurchaseBatch(
                [request("1"), request("1", user: "erin"), request("1", user: "erin")],
                stripe: EventStripe(eventID: EventID("1")!, index: 0)
            )
            let logger = Logger(label: "test.batch")
            let first = Self.outcomes(await RedisTicketStore.send(batch, client: client, logger: logger))
            let before = try await redis.command("DEBUG", "DIGEST")
            let again = Self.outcomes(await RedisTicketStore.send(batch, client: client, logger: logger))
            #expect(first == ["1", "2", "3"])
            #expect(again == first, "the same batch again is its own sales, not replays")
            #expect(try await redis.command("DEBUG", "DIGEST") == before)
            // A later request with one of those ids is a replay.
            let later = await Self.send(
                [PurchaseRequest(eventID: EventID("1")!, userID: nil, purchaseID: batch.requests[0].purchaseID, requestedAt: 5)],
                client
            )
            #expect(Self.outcomes(later) == ["replay 1"])
        }
    }

    @Test func aBatchForAnUnknownEventChangesNothing() async throws {
        try await withClient { redis, client throws in
            let results = await Self.send([request("nope"), request("nope", user: "u1")], client)
            #expect(Self.outcomes(results) == ["unknownEvent", "unknownEvent"])
            #expect(try await redis.command("DBSIZE") == "0")
        }
    }

    @Test func aRetryThatWasNotSentNeverSaysNothingWasSoldAfterAnUnknownOutcome() {
        let id = PurchaseID.random()
        let notSent = RedisError.notSent(.circuitOpen, "Redis is down")
        let settled = RedisTicketStore.unavailable(notSent, purchaseID: id, outcomeUnknown: false)
        let unsettled = RedisTicketStore.unavailable(notSent, purchaseID: id, outcomeUnknown: true)
        #expect(settled.message.contains("nothing was sold"))
        #expect(!unsettled.message.contains("nothing was sold"))
        #expect(unsettled.message.contains("\(id) may have been recorded"))
    }
}
