/// One ticket the service said it sold: a `201` answer to `POST /buy/:eventId`.
public struct SaleRecord: Sendable, Hashable, Codable {
    /// The event bought from (as requested).
    public var event: String
    /// The ticket the answer named.
    public var ticketId: String
    /// The purchase the answer named.
    public var purchaseId: String
    /// The buyer sent, if any.
    public var user: String?
    /// The `Idempotency-Key` sent, if any.
    public var idempotencyKey: String?

    /// A sale.
    public init(event: String, ticketId: String, purchaseId: String, user: String?, idempotencyKey: String?) {
        self.event = event
        self.ticketId = ticketId
        self.purchaseId = purchaseId
        self.user = user
        self.idempotencyKey = idempotencyKey
    }
}
