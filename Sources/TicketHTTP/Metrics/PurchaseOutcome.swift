/// How one `POST /buy/:eventId` ended: the `outcome` label of `ticketd_purchases_total`.
public enum PurchaseOutcome: String, Sendable, Hashable, CaseIterable, Codable {
    /// A new ticket was sold (201).
    case purchased
    /// An earlier purchase was returned for a repeated idempotency key (200).
    case replayed
    /// The event has no tickets left (409).
    case soldOut = "sold_out"
    /// No event has the id (404).
    case unknownEvent = "unknown_event"
    /// The buyer holds as many tickets as one buyer may (403).
    case userLimit = "user_limit"
    /// The store could not be reached, or the event's last tickets are still in an instance's escrow; nothing was
    /// sold (503).
    case unavailable
    /// The request was refused before reaching the store: bad id, bad body (400, 415).
    case invalid
}
