/// A repeated purchase: an earlier sale's `Idempotency-Key`, buyer and event sent again, and what came back.
///
/// The service should answer `200` with `Idempotent-Replayed: true` and the original purchase; a `201` means it
/// sold a second ticket for the same key.
public struct ReplayRecord: Sendable, Hashable {
    /// The sale whose key was repeated.
    public var original: SaleRecord
    /// The status of the answer to the repeat.
    public var status: Int
    /// The ticket the answer named, if it named one.
    public var ticketId: String?
    /// The purchase the answer named, if it named one.
    public var purchaseId: String?

    /// A replay and its answer.
    public init(original: SaleRecord, status: Int, ticketId: String?, purchaseId: String?) {
        self.original = original
        self.status = status
        self.ticketId = ticketId
        self.purchaseId = purchaseId
    }

    /// Whether the answer was the original purchase, as it should be.
    public var returnedOriginal: Bool {
        self.status == 200 && self.ticketId == self.original.ticketId && self.purchaseId == self.original.purchaseId
    }
}
