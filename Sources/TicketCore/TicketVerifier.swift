/// Checks a ticket token the way a gate would, and then against the ledger: the signature must match, and the
/// purchase it names must exist with the same event and ticket.
public struct TicketVerifier: Sendable {
    /// The outcome of a check.
    public enum Verdict: Sendable, Hashable {
        /// The token is genuine and names a purchase in the ledger.
        case valid(Purchase)
        /// The token is refused; `reason` is a stable code (`malformed`, `bad_signature`, `unknown_purchase`,
        /// `ledger_mismatch`), `detail` is for people.
        case invalid(reason: String, detail: String)
    }

    private let key: TicketSigningKey
    private let ledger: any PurchaseLedger

    /// Creates a verifier with the key tokens are signed with and the ledger they are checked against.
    public init(key: TicketSigningKey, ledger: any PurchaseLedger) {
        self.key = key
        self.ledger = ledger
    }

    /// Checks `text`.
    /// - Throws: ``TicketStoreError`` when the signature is good but the ledger cannot be read.
    public func verify(_ text: String) async throws(TicketStoreError) -> Verdict {
        let token: TicketToken
        do {
            token = try TicketToken(verifying: text, with: self.key)
        } catch {
            return .invalid(reason: error.code.description, detail: error.message)
        }
        guard let purchase = try await self.ledger.purchase(token.purchaseID) else {
            return .invalid(reason: "unknown_purchase", detail: "the ledger has no purchase \(token.purchaseID)")
        }
        guard purchase.eventID == token.eventID, purchase.ticketID == token.ticketID else {
            return .invalid(reason: "ledger_mismatch", detail: "purchase \(token.purchaseID) is for another ticket than the token names")
        }
        return .valid(purchase)
    }
}
