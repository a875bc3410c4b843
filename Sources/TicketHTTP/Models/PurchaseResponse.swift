import Hummingbird
import TicketCore

/// The body of a successful `POST /buy/:eventId` (201, or 200 for a replay).
///
/// ```json
/// {"purchaseId": "…", "eventId": "1", "ticketId": "1-000042", "userId": "alice",
///  "purchasedAt": "2025-03-01T12:00:00.123Z", "ticketUrl": "/tickets/…"}
/// ```
///
/// `userId` is `null` for an anonymous buyer; `purchasedAt` is UTC ISO 8601 with milliseconds.
public struct PurchaseResponse: ResponseCodable, Sendable, Hashable {
    /// The purchase's id.
    public var purchaseId: String
    /// The event.
    public var eventId: String
    /// The ticket sold.
    public var ticketId: String
    /// The buyer, or `nil` when anonymous.
    public var userId: String?
    /// When the ticket was sold.
    public var purchasedAt: String
    /// Where the ticket can be fetched: `/tickets/<purchaseId>`.
    public var ticketUrl: String

    /// The response for a purchase.
    public init(_ purchase: Purchase) {
        self.purchaseId = purchase.purchaseID.rawValue
        self.eventId = purchase.eventID.rawValue
        self.ticketId = purchase.ticketID
        self.userId = purchase.userID?.rawValue
        self.purchasedAt = Timestamp.iso8601(millis: purchase.purchasedAt)
        self.ticketUrl = Self.ticketPath(purchase.purchaseID)
    }

    /// The path of a purchase's ticket, also sent as the `Location` header.
    public static func ticketPath(_ id: PurchaseID) -> String { "/tickets/\(id.rawValue)" }

    private enum CodingKeys: String, CodingKey {
        case purchaseId, eventId, ticketId, userId, purchasedAt, ticketUrl
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.purchaseId, forKey: .purchaseId)
        try container.encode(self.eventId, forKey: .eventId)
        try container.encode(self.ticketId, forKey: .ticketId)
        try container.encode(self.userId, forKey: .userId)  // `null` for an anonymous buyer, not left out
        try container.encode(self.purchasedAt, forKey: .purchasedAt)
        try container.encode(self.ticketUrl, forKey: .ticketUrl)
    }
}
