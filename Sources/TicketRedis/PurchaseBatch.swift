import RESPClient
import TicketCore

/// Purchases of one event (one stripe of it) sent to Redis together, in one `EVALSHA` of `purchase.lua`, and the answer for each.
///
/// The script judges each purchase as if it ran alone, in the order of ``requests``: anonymous purchases first
/// (one argument each: the purchase id), then those that name their buyer. Every purchase of the batch is
/// recorded with the batch's sale time, the latest request time in it, so that a retry of the batch after an
/// unknown outcome sends exactly the same arguments and recognises its own sales. Two batches of one millisecond
/// may share a sale time, so a batch tells its own sales from another's only when no other batch with one of its
/// purchase ids is at Redis meanwhile, which ``PurchaseBatcher`` makes sure of on one instance.
struct PurchaseBatch: Sendable {
    /// The purchases in the order the script judges them.
    let requests: [PurchaseRequest]
    /// For each purchase in ``requests``, its position in the order the batch was made in.
    private let positions: [Int]
    /// The keys of the event's stripe that the batch buys from.
    let keys: EventKeys
    /// The sale time written to the ledger for every purchase of the batch, in milliseconds since 1970.
    let soldAt: Int64
    private let anonymousCount: Int

    /// A batch of purchases from one stripe of their event; `requests` must not be empty.
    init(_ requests: [PurchaseRequest], stripe: EventStripe) {
        let anonymous = requests.indices.filter { requests[$0].userID == nil }
        self.positions = anonymous + requests.indices.filter { requests[$0].userID != nil }
        self.requests = self.positions.map { requests[$0] }
        self.anonymousCount = anonymous.count
        self.keys = EventKeys(stripe)
        self.soldAt = requests.map(\.requestedAt).max() ?? 0
    }

    /// The script's keys.
    var scriptKeys: [RESPArgument] {
        [.string(self.keys.tickets), .string(self.keys.purchases), .string(self.keys.users), .string(self.keys.meta), .string(self.keys.escrows)]
    }

    /// The script's arguments: sale time, count, anonymous count, every purchase id, then the named buyers.
    var scriptArguments: [RESPArgument] {
        var arguments: [RESPArgument] = [.integer(Int(self.soldAt)), .integer(self.requests.count), .integer(self.anonymousCount)]
        arguments.reserveCapacity(3 + self.requests.count * 2 - self.anonymousCount)
        arguments.append(contentsOf: self.requests.lazy.map { .string($0.purchaseID.rawValue) })
        arguments.append(contentsOf: self.requests.lazy.compactMap { $0.userID.map { .string($0.rawValue) } })
        return arguments
    }

    /// The answer for each request, in the order the batch was made in.
    /// - Throws: when the reply is not one answer per purchase.
    func results(of reply: RESPValue) throws(PurchaseError) -> [Result<PurchaseResult, PurchaseError>] {
        guard let answers = reply.array, answers.count == self.requests.count else {
            throw PurchaseError(.unavailable, "unexpected reply from the purchase script: \(reply)")
        }
        var results = [Result<PurchaseResult, PurchaseError>](repeating: .failure(PurchaseError(.unavailable, "")), count: answers.count)
        for (index, (request, answer)) in zip(self.requests, answers).enumerated() {
            results[self.positions[index]] = Result { () throws(PurchaseError) in try self.result(of: answer, for: request) }
        }
        return results
    }

    private func result(of answer: RESPValue, for request: PurchaseRequest) throws(PurchaseError) -> PurchaseResult {
        switch answer {
        case .bulkString, .simpleString:
            guard let ticket = answer.string else { break }
            let purchase = Purchase(
                purchaseID: request.purchaseID,
                eventID: request.eventID,
                ticketID: ticket,
                userID: request.userID,
                purchasedAt: self.soldAt
            )
            return PurchaseResult(purchase: purchase, isReplay: false)
        case .integer(-1):
            throw PurchaseError(.soldOut, "every ticket of event \(request.eventID) is sold")
        case .integer(-3):
            throw PurchaseError(.unknownEvent, "there is no event \(request.eventID)")
        case .integer(-4):
            throw PurchaseError(
                .escrowHeld,
                "the pool of event \(request.eventID) is empty, but instances hold some of its tickets in escrow: a running one gives them back within seconds, "
                    + "a stopped one once it starts again or its escrow is released; nothing was sold, try again"
            )
        case .array(let values):
            if values.count == 2, values[0].integer == -2 {
                let limit = values[1].integer ?? 0
                throw PurchaseError(
                    .userLimitReached,
                    "user \(request.userID?.rawValue ?? "") already holds \(limit) tickets of event \(request.eventID), the most one buyer may hold"
                )
            }
            guard values.count == 1, let record = values[0].string,
                let purchase = LedgerRecord.purchase(record, id: request.purchaseID, event: request.eventID)
            else { break }
            // A record stamped with this batch's own sale time was made by this batch's earlier attempt (its
            // outcome was unknown): that is this request's sale, not a replay of another request.
            return PurchaseResult(purchase: purchase, isReplay: purchase.purchasedAt != self.soldAt)
        default:
            break
        }
        throw PurchaseError(.unavailable, "unexpected answer from the purchase script: \(answer)")
    }
}
