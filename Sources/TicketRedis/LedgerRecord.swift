import TicketCore

/// The ledger's value for one purchase: `"ticket user millis"`, the user empty for an anonymous buyer.
///
/// Kept as one short string in one hash field so that a sale costs Redis about a hundred bytes.
enum LedgerRecord {
    /// The parts of a record, or `nil` when it is not one.
    static func parse(_ record: String) -> (ticket: String, user: UserID?, millis: Int64)? {
        let parts = record.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, let millis = Int64(parts[2]) else { return nil }
        let user: UserID?
        if parts[1].isEmpty {
            user = nil
        } else {
            guard let id = UserID(String(parts[1])) else { return nil }
            user = id
        }
        return (String(parts[0]), user, millis)
    }

    /// The purchase a record describes.
    static func purchase(_ record: String, id: PurchaseID, event: EventID) -> Purchase? {
        guard let (ticket, user, millis) = parse(record) else { return nil }
        return Purchase(purchaseID: id, eventID: event, ticketID: ticket, userID: user, purchasedAt: millis)
    }
}
