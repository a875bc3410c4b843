import Crypto

/// What a ticket's QR code carries: the purchase, ticket and event it is for, signed with HMAC-SHA256 so that a
/// gate holding the ``TicketSigningKey`` can check it offline.
///
/// The compact form is `<payload>.<mac>`, both base64url without padding: the payload is
/// `1 <eventId> <ticketId> <purchaseId>` (the leading `1` is the format version; none of the ids may contain a
/// space), the MAC is the 32-byte HMAC-SHA256 of the payload's bytes. About 100 characters: a small QR code.
///
/// ```swift
/// let text = TicketToken(purchase: purchase).signed(with: key)
/// let token = try TicketToken(verifying: text, with: key)   // throws TicketTokenError when any byte changed
/// ```
public struct TicketToken: Sendable, Hashable {
    /// The purchase.
    public var purchaseID: PurchaseID
    /// The ticket sold by it.
    public var ticketID: String
    /// The event.
    public var eventID: EventID

    /// The format version written in the payload.
    static let version = "1"
    /// The longest token accepted by ``init(verifying:with:)``; a real one is about 100 characters.
    public static let maxLength = 512

    /// Creates a token for a ticket; its `ticketID` must not contain a space (ledger ticket ids never do).
    public init(purchaseID: PurchaseID, ticketID: String, eventID: EventID) {
        self.purchaseID = purchaseID
        self.ticketID = ticketID
        self.eventID = eventID
    }

    /// The token of a purchase.
    public init(purchase: Purchase) {
        self.init(purchaseID: purchase.purchaseID, ticketID: purchase.ticketID, eventID: purchase.eventID)
    }

    /// The compact, signed form: `<payload>.<mac>`.
    public func signed(with key: TicketSigningKey) -> String {
        Self.compact(payload: Array("\(Self.version) \(self.eventID.rawValue) \(self.ticketID) \(self.purchaseID.rawValue)".utf8), key: key)
    }

    /// `<payload>.<mac>` for any payload bytes.
    static func compact(payload: [UInt8], key: TicketSigningKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: key.key)
        return Base64URL.encode(payload) + "." + Base64URL.encode(Array(mac))
    }

    /// Reads and checks a compact token.
    /// - Throws: ``TicketTokenError``: `malformed` when it is not a token at all, `badSignature` when its MAC does
    ///   not match (a changed byte, or another key).
    public init(verifying text: String, with key: TicketSigningKey) throws(TicketTokenError) {
        guard text.utf8.count <= Self.maxLength else { throw TicketTokenError(.malformed, "the token is longer than \(Self.maxLength) characters") }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Base64URL.decode(parts[0]), !payload.isEmpty, let mac = Base64URL.decode(parts[1]),
            mac.count == SHA256.byteCount
        else {
            throw TicketTokenError(.malformed, "a token is a payload and a 32-byte MAC, base64url, joined by a dot")
        }
        // Checked before the payload is read, in constant time: an attacker learns nothing from a forged payload.
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: key.key) else {
            throw TicketTokenError(.badSignature, "the signature does not match: the token was changed or signed with another key")
        }
        let fields = String(decoding: payload, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 4, fields[0] == Self.version, let event = EventID(String(fields[1])), !fields[2].isEmpty,
            let purchase = PurchaseID(String(fields[3]))
        else {
            throw TicketTokenError(.malformed, "the signed payload is not a version \(Self.version) ticket")
        }
        self.init(purchaseID: purchase, ticketID: String(fields[2]), eventID: event)
    }
}
