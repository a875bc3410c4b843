/// What a buyer asks for: one ticket of one event.
public struct PurchaseRequest: Sendable, Hashable {
    /// The event.
    public var eventID: EventID
    /// The buyer, if known; per-buyer limits apply only to known buyers.
    public var userID: UserID?
    /// The purchase's id, fixed before the attempt (random, or derived from an idempotency key).
    public var purchaseID: PurchaseID
    /// When the purchase is made, in milliseconds since 1970.
    public var requestedAt: Int64
    /// Whether no other request can carry this purchase id: it was chosen at random for this request, and the
    /// buyer learns it only from the answer. Another request with the same id (a retry with the same
    /// `Idempotency-Key`, perhaps on another instance) could hear a different answer for it.
    public var purchaseIDIsPrivate: Bool

    /// Creates a request.
    public init(eventID: EventID, userID: UserID?, purchaseID: PurchaseID, requestedAt: Int64, purchaseIDIsPrivate: Bool = false) {
        self.eventID = eventID
        self.userID = userID
        self.purchaseID = purchaseID
        self.requestedAt = requestedAt
        self.purchaseIDIsPrivate = purchaseIDIsPrivate
    }

    /// Creates a request whose purchase id is derived from `idempotencyKey` when one is given (keyed by
    /// `secret`, see ``PurchaseID/derived(event:user:key:secret:)``), random otherwise.
    public init(eventID: EventID, userID: UserID?, idempotencyKey: IdempotencyKey?, requestedAt: Int64, secret: TicketSigningKey? = nil) {
        let purchaseID = idempotencyKey.map { PurchaseID.derived(event: eventID, user: userID, key: $0, secret: secret) } ?? .random()
        self.init(eventID: eventID, userID: userID, purchaseID: purchaseID, requestedAt: requestedAt, purchaseIDIsPrivate: idempotencyKey == nil)
    }
}

/// A ticket sold: the purchase ledger's record of it.
public struct Purchase: Sendable, Hashable, Codable {
    /// The purchase's id.
    public var purchaseID: PurchaseID
    /// The event.
    public var eventID: EventID
    /// The ticket sold, unique within its event.
    public var ticketID: String
    /// The buyer, if known.
    public var userID: UserID?
    /// When it was sold, in milliseconds since 1970.
    public var purchasedAt: Int64

    /// Creates a purchase record.
    public init(purchaseID: PurchaseID, eventID: EventID, ticketID: String, userID: UserID?, purchasedAt: Int64) {
        self.purchaseID = purchaseID
        self.eventID = eventID
        self.ticketID = ticketID
        self.userID = userID
        self.purchasedAt = purchasedAt
    }
}

/// The answer to a ``PurchaseRequest`` that sold (or had already sold) a ticket.
public struct PurchaseResult: Sendable, Hashable {
    /// The purchase.
    public var purchase: Purchase
    /// Whether this request repeated an earlier one and got its purchase back, rather than a new ticket.
    public var isReplay: Bool

    /// Creates a result.
    public init(purchase: Purchase, isReplay: Bool) {
        self.purchase = purchase
        self.isReplay = isReplay
    }
}
