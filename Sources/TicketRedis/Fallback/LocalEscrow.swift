import TicketCore

/// This instance's escrow as it sells from it: the tickets it may still sell per event, and the sales it made
/// that Redis has not recorded yet (the journal's content). A value type without IO, so its rules are tested alone.
///
/// Redis's escrow list of an event is always these unsold tickets plus the unsettled sales' tickets: a sale leaves
/// Redis's list only when it is settled. ``replace(_:)`` relies on that to take Redis's list as the truth without
/// ever offering a ticket sold but not yet settled.
struct LocalEscrow: Sendable {
    /// What selling from the escrow gave.
    enum Sale: Sendable {
        /// A new sale: journal it before answering.
        case sold(Purchase)
        /// The purchase id was sold from the escrow before: its sale.
        case replay(Purchase)
        /// Nothing sold.
        case refused(PurchaseError)
    }

    private struct Block: Sendable, Equatable {
        var perUserLimit: Int
        var tickets: [String]
    }

    private var blocks: [EventID: Block] = [:]
    /// Sales not yet settled, by purchase id, with whether they are on disk yet.
    private var unsettled: [PurchaseID: (sale: Purchase, durable: Bool)] = [:]

    /// An escrow rebuilt after a restart: the mirror of Redis's escrow, less the journaled sales.
    init(mirror: [EscrowBlock] = [], journal: [Purchase] = []) {
        for sale in journal { self.unsettled[sale.purchaseID] = (sale, true) }
        for block in mirror { self.replace(block) }
    }

    /// Sells one ticket of the request's event, or returns the earlier sale of its purchase id. A refusal is
    /// marked `nothingSent`: nothing was journaled, so Redis may be asked instead.
    ///
    /// Two kinds of purchase are refused, because only Redis knows what selling them would break:
    /// - one whose id another request may carry (an `Idempotency-Key`), unless this escrow sold it: the key's first
    ///   request, or its retry on another instance, may have bought a ticket through Redis, and a second ticket here
    ///   would be a second answer to one purchase (settling keeps one and puts the other back on sale, under a buyer
    ///   who already holds it);
    /// - a buyer with a name, on an event with a per-user limit: how many tickets they hold is known only to Redis.
    mutating func sell(_ request: PurchaseRequest) -> Sale {
        if let earlier = self.unsettled[request.purchaseID] { return .replay(earlier.sale) }
        guard request.purchaseIDIsPrivate else {
            return .refused(
                PurchaseError(
                    .unavailable,
                    "Redis is unreachable, and only Redis knows whether this Idempotency-Key bought a ticket already; "
                        + "nothing was sold: repeat the request with the same key once Redis is back",
                    nothingSent: true
                )
            )
        }
        guard var block = self.blocks[request.eventID], !block.tickets.isEmpty else {
            return .refused(
                PurchaseError(
                    .unavailable,
                    "Redis is unreachable and this instance holds no ticket of event \(request.eventID) in escrow; nothing was sold",
                    nothingSent: true
                )
            )
        }
        if block.perUserLimit > 0, request.userID != nil {
            return .refused(
                PurchaseError(
                    .unavailable,
                    "Redis is unreachable and event \(request.eventID) limits tickets per buyer, which only Redis can check; nothing was sold",
                    nothingSent: true
                )
            )
        }
        let ticket = block.tickets.removeLast()
        self.blocks[request.eventID] = block
        let sale = Purchase(
            purchaseID: request.purchaseID,
            eventID: request.eventID,
            ticketID: ticket,
            userID: request.userID,
            purchasedAt: request.requestedAt
        )
        self.unsettled[sale.purchaseID] = (sale, false)
        return .sold(sale)
    }

    /// The unsettled sale of purchase id `id`, if there is one.
    func unsettledSale(_ id: PurchaseID) -> Purchase? { self.unsettled[id]?.sale }

    /// Records that `sale` is on disk in the journal.
    mutating func journaled(_ sale: Purchase) {
        self.unsettled[sale.purchaseID]?.durable = true
    }

    /// Forgets a sale whose journal write failed: it was not acknowledged. Its ticket is not offered again until
    /// Redis's escrow list is read back (``replace(_:)``), since the write may have reached the disk after all.
    mutating func abandon(_ sale: Purchase) {
        self.unsettled[sale.purchaseID] = nil
    }

    /// Takes Redis's escrow list of an event as the truth, less the tickets of unsettled sales. Returns whether that
    /// changed the event's escrow: other tickets (as many, say: some given back by a release, as many taken again),
    /// or another per-user limit.
    @discardableResult
    mutating func replace(_ block: EscrowBlock) -> Bool {
        let sold = Set(self.unsettled.values.lazy.filter { $0.sale.eventID == block.eventID }.map(\.sale.ticketID))
        let new = Block(perUserLimit: block.perUserLimit, tickets: block.tickets.filter { !sold.contains($0) })
        defer { self.blocks[block.eventID] = new }
        return self.blocks[block.eventID] != new
    }

    /// Drops an event's escrow, before it is given back to the pool.
    mutating func remove(_ event: EventID) {
        self.blocks[event] = nil
    }

    /// Forgets sales that Redis has recorded.
    mutating func settled(_ sales: [Purchase]) {
        for sale in sales { self.unsettled[sale.purchaseID] = nil }
    }

    /// The journaled sales not yet settled, oldest first.
    var durableSales: [Purchase] {
        self.unsettled.values.filter(\.durable).map(\.sale).sorted { $0.purchasedAt < $1.purchasedAt }
    }

    /// Every unsettled sale, journaled or not yet.
    var unsettledSales: [Purchase] { self.unsettled.values.map(\.sale) }

    /// How many sales are not settled yet.
    var backlog: Int { self.unsettled.count }

    /// The tickets this instance may still sell, per event.
    var available: [EventID: Int] { self.blocks.mapValues(\.tickets.count) }

    /// Whether the instance holds escrow of `event`.
    func holds(_ event: EventID) -> Bool { !(self.blocks[event]?.tickets.isEmpty ?? true) }

    /// The events it holds escrow of.
    var events: [EventID] { Array(self.blocks.keys) }

    /// The mirror of Redis's escrow lists to keep on disk: unsold tickets and unsettled sales' tickets.
    var mirror: [EscrowBlock] {
        self.blocks.map { entry in
            let sold = self.unsettled.values.filter { $0.sale.eventID == entry.key }.map(\.sale.ticketID)
            return EscrowBlock(eventID: entry.key, perUserLimit: entry.value.perUserLimit, tickets: entry.value.tickets + sold)
        }.sorted { $0.eventID < $1.eventID }
    }
}
