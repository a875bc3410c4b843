import RedisTestSupport
import Synchronization
import Testing
import TicketCore

@testable import TicketRedis

/// The batcher's bookkeeping, with a stand-in for Redis that holds the first batch until the test lets it go.
@Suite(.timeLimit(.minutes(5))) struct PurchaseBatcherTests {
    /// One `Idempotency-Key` sent many times at once (a double click, a client's eager retry): the first request is
    /// the sale, the others hear of it as replays and never reach Redis, where a second batch of the same
    /// millisecond could not tell the first one's sale from its own.
    @Test func requestsWithTheIDOfAPurchaseAtRedisGetItsAnswerAsReplaysWithoutBeingSent() async throws {
        let (gate, open) = AsyncStream<Void>.makeStream()
        let sent = Mutex<[PurchaseRequest]>([])
        let batcher = PurchaseBatcher { batch in
            let batchNumber = sent.withLock { sent in
                sent.append(contentsOf: batch.requests)
                return sent.count
            }
            if batchNumber == 1 {
                for await _ in gate { break }
            }
            return batch.requests.map { request in
                let purchase = Purchase(
                    purchaseID: request.purchaseID,
                    eventID: request.eventID,
                    ticketID: "ticket-of-batch-\(batchNumber)",
                    userID: request.userID,
                    purchasedAt: batch.soldAt
                )
                return .success(PurchaseResult(purchase: purchase, isReplay: false))
            }
        }
        let event = EventID("1")!
        let stripe = EventStripe(eventID: event, index: 0)
        let keyed = PurchaseRequest(eventID: event, userID: UserID("ann"), idempotencyKey: IdempotencyKey("double-click")!, requestedAt: 1)

        let first = Task { try await batcher.purchase(keyed, from: stripe) }
        try await waitUntil(timeout: .seconds(5), "the first purchase at Redis") { sent.withLock { $0.count } == 1 }
        let repeats = (0..<10).map { _ in Task { try await batcher.purchase(keyed, from: stripe) } }
        // A purchase without a key is not held back by the one at Redis.
        let anonymous = PurchaseRequest(eventID: event, userID: nil, idempotencyKey: nil, requestedAt: 1)
        let other = try await batcher.purchase(anonymous, from: stripe)
        #expect(!other.isReplay && other.purchase.ticketID == "ticket-of-batch-2")
        try await waitUntil(timeout: .seconds(5), "the repeats waiting") { batcher.waitingCount(of: stripe) == 10 }
        open.yield()

        let sale = try await first.value
        #expect(!sale.isReplay)
        for repeated in repeats {
            let answer = try await repeated.value
            #expect(answer.isReplay)
            #expect(answer.purchase == sale.purchase)
        }
        #expect(sent.withLock { $0.map(\.purchaseID) } == [keyed.purchaseID, anonymous.purchaseID])
        #expect(batcher.waitingCount(of: stripe) == 0)

        // Once answered, the key is sent again: Redis knows the sale from then on and answers the replay itself.
        _ = try await batcher.purchase(keyed, from: stripe)
        #expect(sent.withLock { $0.count } == 3)
    }
}
