import Synchronization
import TicketCore

/// Requests that carry the same purchase id (an `Idempotency-Key` sent twice at once) take turns in this instance.
///
/// A striped event's purchase looks its id up on every stripe, then asks the stripes in turn, and each stripe's
/// script checks only its own ledger. Two such requests at once could each pass a stripe that was empty for the
/// one and held a ticket again for the other (an escrow given back in between), and buy a ticket each on two
/// stripes: black-box testing sold 21 of 200 keys twice that way. Taking turns, the second request starts after
/// the first has answered, finds its sale, and answers it as a replay.
final class PurchaseIDTurns: Sendable {
    /// The ids with a request under way, and the requests waiting for their turn, in order of arrival.
    private let waiting = Mutex<[PurchaseID: [CheckedContinuation<Void, Never>]]>([:])

    /// Runs `body` once no other request with `id` runs in this instance.
    func run<T: Sendable>(_ id: PurchaseID, _ body: () async throws(PurchaseError) -> T) async throws(PurchaseError) -> T {
        await self.take(id)
        defer { self.handOn(id) }
        return try await body()
    }

    private func take(_ id: PurchaseID) async {
        await withCheckedContinuation { continuation in
            let free = self.waiting.withLock { waiting -> Bool in
                guard waiting[id] != nil else {
                    waiting[id] = []
                    return true
                }
                waiting[id]!.append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
    }

    /// Gives the turn to the next request with `id`, or frees the id.
    private func handOn(_ id: PurchaseID) {
        let next = self.waiting.withLock { waiting -> CheckedContinuation<Void, Never>? in
            guard var queue = waiting[id], !queue.isEmpty else {
                waiting[id] = nil
                return nil
            }
            let next = queue.removeFirst()
            waiting[id] = queue
            return next
        }
        next?.resume()
    }
}
