import DequeModule
import Synchronization
import TicketCore

/// Sends concurrent purchases of one event stripe to Redis together, so that a busy event costs Redis a handful of
/// calls per batch instead of per purchase.
///
/// Group commit without a timer: a purchase goes out at once while fewer than ``maxRunning`` batches of its event
/// are at Redis; otherwise it waits, and when a batch comes back the first waiting purchase leads the next batch,
/// taking up to ``maxBatch`` waiting purchases of the event along, in arrival order. An idle event therefore adds
/// no latency, and a busy one sends batches as large as the traffic that arrived during one round trip.
///
/// A purchase whose id another request may carry (an `Idempotency-Key`) and that arrives while a purchase with
/// the same id is waiting or at Redis is not sent: it gets that purchase's answer, as a replay. Sent on its own, it
/// could not tell the other's sale from its own (both batches may carry the same sale time, see ``PurchaseBatch``).
final class PurchaseBatcher: Sendable {
    /// What a waiting purchase is told when its turn comes.
    private enum Turn: Sendable {
        /// Send the next batch, with this purchase first.
        case lead
        /// Another purchase's batch carried this one: its answer.
        case answered(Result<PurchaseResult, PurchaseError>)
    }

    private struct Waiter: Sendable {
        let request: PurchaseRequest
        let continuation: CheckedContinuation<Turn, Never>
    }

    /// One stripe's batches at Redis and the purchases waiting for the next.
    ///
    /// Changed only in place, through the dictionary's subscripts: a copy taken out of the dictionary would share
    /// the deque's storage, and the next append would copy every waiting purchase.
    private struct EventQueue {
        var running = 0
        var waiting: Deque<Waiter> = []
        /// The ids that other requests may carry, of the purchases waiting or at Redis, each with the requests
        /// that arrived meanwhile with the same id and wait for its answer.
        var shared: [PurchaseID: [CheckedContinuation<Turn, Never>]] = [:]

        /// Counts one more batch as running if fewer than `maxRunning` are, or else queues `waiter`; a request
        /// whose id is already waiting or at Redis waits for that purchase's answer instead.
        /// - Returns: Whether `waiter` leads a batch now.
        mutating func admit(_ waiter: Waiter, maxRunning: Int) -> Bool {
            if !waiter.request.purchaseIDIsPrivate {
                let id = waiter.request.purchaseID
                if self.shared[id] != nil {
                    self.shared[id]!.append(waiter.continuation)
                    return false
                }
                self.shared[id] = []
            }
            guard self.running < maxRunning else {
                self.waiting.append(waiter)
                return false
            }
            self.running += 1
            return true
        }

        /// The requests that wait for the answer of `request`, now that it has one.
        mutating func takeDuplicates(of request: PurchaseRequest) -> [CheckedContinuation<Turn, Never>] {
            guard !request.purchaseIDIsPrivate else { return [] }
            return self.shared.removeValue(forKey: request.purchaseID) ?? []
        }

        /// Takes up to `limit` waiting purchases, in arrival order.
        mutating func take(upTo limit: Int) -> [Waiter] {
            var taken: [Waiter] = []
            taken.reserveCapacity(min(limit, self.waiting.count))
            while taken.count < limit, let waiter = self.waiting.popFirst() { taken.append(waiter) }
            return taken
        }

        /// A batch came back: the first waiting purchase leads the next one, or one batch fewer is running.
        mutating func handOver() -> Waiter? {
            if let waiter = self.waiting.popFirst() { return waiter }
            self.running -= 1
            return nil
        }
    }

    /// How many batches of one event may be at Redis at once. Many: a waiting purchase that is told to lead
    /// needs its task scheduled first, and on a busy executor that wait, not Redis, bounds an event's sales.
    /// Measured at 5000 connections on 2 cores: 64 sold 1.7× as many tickets per second as 2, and 1.15× as many
    /// as no batching.
    let maxRunning: Int
    /// The most purchases in one batch.
    let maxBatch: Int
    private let send: @Sendable (PurchaseBatch) async -> [Result<PurchaseResult, PurchaseError>]
    private let queues = Mutex<[EventStripe: EventQueue]>([:])

    /// Creates a batcher that sends each batch with `send`, which answers every purchase of it in order.
    init(maxRunning: Int = 64, maxBatch: Int = 256, send: @escaping @Sendable (PurchaseBatch) async -> [Result<PurchaseResult, PurchaseError>]) {
        precondition(maxRunning > 0 && maxBatch > 0)
        self.maxRunning = maxRunning
        self.maxBatch = maxBatch
        self.send = send
    }

    /// How many purchases of `stripe` wait, for a batch or for the answer of a purchase with their id.
    func waitingCount(of stripe: EventStripe) -> Int {
        self.queues.withLock { queues in
            guard let queue = queues[stripe] else { return 0 }
            return queue.waiting.count + queue.shared.values.reduce(0) { $0 + $1.count }
        }
    }

    /// Makes one purchase from `stripe` of its event, alone or in a batch with others of that stripe.
    func purchase(_ request: PurchaseRequest, from stripe: EventStripe) async throws(PurchaseError) -> PurchaseResult {
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let leads = self.queues.withLock { queues in
                queues[stripe, default: EventQueue()].admit(
                    Waiter(request: request, continuation: continuation),
                    maxRunning: self.maxRunning
                )
            }
            if leads { continuation.resume(returning: .lead) }
        }
        switch turn {
        case .answered(let result):
            return try result.get()
        case .lead:
            return try await self.lead(request, stripe: stripe).get()
        }
    }

    /// Sends a batch led by `request`, answers the purchases it carried, and hands the turn to the next waiter.
    private func lead(_ request: PurchaseRequest, stripe: EventStripe) async -> Result<PurchaseResult, PurchaseError> {
        let followers = self.queues.withLock { queues in
            queues[stripe]?.take(upTo: self.maxBatch - 1) ?? []
        }
        let requests = [request] + followers.map(\.request)
        let results = await self.send(PurchaseBatch(requests, stripe: stripe))
        // The next leader is woken before the followers: its job then runs ahead of theirs, so Redis does not
        // sit idle while a busy executor works through the answers.
        let (next, duplicates) = self.queues.withLock { queues in
            var duplicates: [(answer: Int, waiting: [CheckedContinuation<Turn, Never>])] = []
            if queues[stripe]?.shared.isEmpty == false {
                for (index, request) in requests.enumerated() {
                    let waiting = queues[stripe]!.takeDuplicates(of: request)
                    if !waiting.isEmpty { duplicates.append((index, waiting)) }
                }
            }
            let next = queues[stripe]?.handOver()
            if queues[stripe]?.running == 0 { queues[stripe] = nil }
            return (next, duplicates)
        }
        next?.continuation.resume(returning: .lead)
        for (follower, result) in zip(followers, results.dropFirst()) {
            follower.continuation.resume(returning: .answered(result))
        }
        for (answer, waiting) in duplicates {
            let replay = results[answer].map { sale in
                var replay = sale
                replay.isReplay = true
                return replay
            }
            for continuation in waiting { continuation.resume(returning: .answered(replay)) }
        }
        return results[0]
    }
}
