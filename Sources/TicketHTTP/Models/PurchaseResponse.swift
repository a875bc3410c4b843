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

    /// The body as JSON, in the order of ``encode(to:)``, written by hand: this is the service's hottest response,
    /// and Foundation's encoder cost about 8% of a purchase's CPU.
    var json: ByteBuffer {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        let fields: [(String, String?)] = [
            ("purchaseId", self.purchaseId), ("eventId", self.eventId), ("ticketId", self.ticketId),
            ("userId", self.userId), ("purchasedAt", self.purchasedAt), ("ticketUrl", self.ticketUrl),
        ]
        for (index, (key, value)) in fields.enumerated() {
            bytes.append(index == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
            JSONText.appendString(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            if let value { JSONText.appendString(value, to: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
        }
        bytes.append(UInt8(ascii: "}"))
        return ByteBuffer(bytes: bytes)
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
