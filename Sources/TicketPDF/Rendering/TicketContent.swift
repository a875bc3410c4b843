/// Everything printed on one ticket, as text ready to print.
///
/// Build it from a purchase with ``init(purchase:event:token:)``; tests build it directly.
public struct TicketContent: Sendable, Hashable {
    /// The event's name, the ticket's title.
    public var eventName: String
    /// Where the event takes place, when known.
    public var venue: String?
    /// When it starts, as printed (`2026-12-26 20:00 UTC`), when known.
    public var startsAt: String?
    /// The event's id.
    public var eventID: String
    /// The ticket's id within its event.
    public var ticketID: String
    /// The purchase's id.
    public var purchaseID: String
    /// The buyer as printed.
    public var buyer: String
    /// When the ticket was sold, as printed.
    public var purchasedAt: String
    /// The signed token the QR code carries.
    public var token: String

    /// Creates the content of a ticket.
    public init(
        eventName: String,
        venue: String?,
        startsAt: String?,
        eventID: String,
        ticketID: String,
        purchaseID: String,
        buyer: String,
        purchasedAt: String,
        token: String
    ) {
        self.eventName = eventName
        self.venue = venue
        self.startsAt = startsAt
        self.eventID = eventID
        self.ticketID = ticketID
        self.purchaseID = purchaseID
        self.buyer = buyer
        self.purchasedAt = purchasedAt
        self.token = token
    }
}
