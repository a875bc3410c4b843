import Hummingbird
import TicketCore

/// The body of `POST /tickets/verify`.
///
/// ```json
/// {"valid": true, "purchaseId": "…", "eventId": "1", "ticketId": "42", "userId": "alice", "purchasedAt": "2026-11-26T12:53:53.340Z"}
/// {"valid": false, "reason": "bad_signature", "detail": "the signature does not match: …"}
/// ```
public struct TicketVerificationResponse: ResponseEncodable, Sendable, Hashable {
    /// Whether the token is genuine and names a purchase in the ledger.
    public var valid: Bool
    /// Why not: `malformed`, `bad_signature`, `unknown_purchase` or `ledger_mismatch`.
    public var reason: String?
    /// Why not, for people.
    public var detail: String?
    /// The purchase, when valid.
    public var purchaseId: String?
    /// The event, when valid.
    public var eventId: String?
    /// The ticket, when valid.
    public var ticketId: String?
    /// The buyer, when valid and known.
    public var userId: String?
    /// When the ticket was sold, when valid.
    public var purchasedAt: String?

    /// A valid ticket's answer.
    public init(purchase: Purchase) {
        self.valid = true
        self.purchaseId = purchase.purchaseID.rawValue
        self.eventId = purchase.eventID.rawValue
        self.ticketId = purchase.ticketID
        self.userId = purchase.userID?.rawValue
        self.purchasedAt = Timestamp.iso8601(millis: purchase.purchasedAt)
    }

    /// A refused token's answer.
    public init(invalid reason: String, detail: String) {
        self.valid = false
        self.reason = reason
        self.detail = detail
    }
}
