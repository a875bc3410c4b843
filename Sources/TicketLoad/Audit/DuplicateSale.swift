/// A ticket the service sold more than once.
public struct DuplicateSale: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The event.
    public var event: String
    /// The ticket.
    public var ticketId: String
    /// Every purchase it was sold in.
    public var purchaseIds: [String]

    /// A duplicate.
    public init(event: String, ticketId: String, purchaseIds: [String]) {
        self.event = event
        self.ticketId = ticketId
        self.purchaseIds = purchaseIds
    }

    public var description: String {
        "ticket \(self.ticketId) of event \(self.event) sold \(self.purchaseIds.count) times (purchases \(self.purchaseIds.joined(separator: ", ")))"
    }
}
