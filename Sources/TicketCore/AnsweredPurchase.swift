/// A purchase as a buyer was told of it (a `201`, or the `200` of a replay): which ticket of which event, under
/// which purchase id. The audit checks such answers against the ledger (``AuditReport``), which is how a load test
/// learns that what its buyers heard is what was recorded, and not only that the books balance among themselves.
public struct AnsweredPurchase: Sendable, Hashable {
    /// The event bought from.
    public var eventID: EventID
    /// The purchase id the answer named.
    public var purchaseID: String
    /// The ticket the answer named.
    public var ticketID: String

    /// An answer.
    public init(eventID: EventID, purchaseID: String, ticketID: String) {
        self.eventID = eventID
        self.purchaseID = purchaseID
        self.ticketID = ticketID
    }

    /// Reads one line of an answers file: event id, purchase id and ticket id, separated by tabs; a carriage return
    /// at its end (a file written with CRLF line ends) is not part of the ticket id.
    public init?(line: Substring) {
        let fields = (line.last == "\r" ? line.dropLast() : line).split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 3, let event = EventID(String(fields[0])), !fields[1].isEmpty, !fields[2].isEmpty else { return nil }
        self.init(eventID: event, purchaseID: String(fields[1]), ticketID: String(fields[2]))
    }
}
