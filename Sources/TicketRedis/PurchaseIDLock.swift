import RESPClient
import TicketCore

/// A lock in Redis on one purchase id of a striped event, so that requests with the same `Idempotency-Key` on
/// different instances sell it one after the other, never at once.
///
/// A striped event's purchase looks its id up on every stripe and then asks the stripes in turn, each of which
/// checks only its own ledger: two requests at once could each pass a stripe that was empty for one and refilled
/// for the other (an escrow given back in between), and buy a ticket each on two stripes. Within an instance such
/// requests take turns (``PurchaseIDTurns``); across instances they take this lock, `event:{ID}:selling:<id>`
/// under stripe 0's hash tag (`SET NX PX`), and the second, once it has it, finds the first one's sale.
///
/// The lock lapses after ``lease`` should its holder die; a request waits at most ``patience`` for it, then hears
/// `503`, nothing sold. Only purchases that another request may repeat on a striped event pay for it: two round
/// trips more.
struct PurchaseIDLock: Sendable {
    let client: RedisClient

    /// How long a lock outlives a holder that never gives it up: longer than any pass over the stripes.
    static let lease = Duration.seconds(30)
    /// How long a request waits for another request's lock on its purchase id.
    static let patience = Duration.seconds(5)
    /// How often a waiting request asks again.
    static let poll = Duration.milliseconds(20)

    /// Runs `body` while holding the lock on the request's purchase id.
    /// - Throws: `unavailable`, with nothing sold, when Redis cannot take the lock or another request holds it
    ///   longer than ``patience``; or what `body` throws.
    func holding<T: Sendable>(_ request: PurchaseRequest, _ body: () async throws(PurchaseError) -> T) async throws(PurchaseError) -> T {
        let key = EventKeys(request.eventID).selling(request.purchaseID)
        let token = PurchaseID.random().rawValue
        try await self.take(key, token: token)
        let result: Result<T, PurchaseError>
        do throws(PurchaseError) {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        // A lock not given back (Redis gone meanwhile) lapses after the lease.
        _ = try? await self.client.evalScript(TicketScripts.unlockPurchase, keys: [.string(key)], arguments: [.string(token)])
        return try result.get()
    }

    private func take(_ key: String, token: String) async throws(PurchaseError) {
        let lease = Int(Self.lease.components.seconds) * 1000
        let deadline = ContinuousClock.now + Self.patience
        while true {
            let reply: RESPValue
            do {
                reply = try await self.client.execute(
                    RESPCommand("SET", .string(key), .string(token), "NX", "PX", .integer(lease)),
                    options: RedisCommandOptions()
                )
            } catch {
                throw PurchaseError(.unavailable, "\(error.message); nothing was sold", nothingSent: true)
            }
            if case .simpleString = reply { return }
            guard ContinuousClock.now < deadline, !Task.isCancelled else {
                throw PurchaseError(.unavailable, "another request with this Idempotency-Key is still being answered; nothing was sold")
            }
            try? await Task.sleep(for: Self.poll)
        }
    }
}
