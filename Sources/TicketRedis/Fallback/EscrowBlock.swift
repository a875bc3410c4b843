import TicketCore

/// One instance's escrow of one event as Redis holds it: the tickets only that instance may sell.
public struct EscrowBlock: Sendable, Hashable, Codable {
    /// The event.
    public var eventID: EventID
    /// How many tickets one known buyer may hold; 0 for no limit.
    public var perUserLimit: Int
    /// The escrowed ticket ids, in the order Redis holds them.
    public var tickets: [String]

    /// Creates a block.
    public init(eventID: EventID, perUserLimit: Int, tickets: [String]) {
        self.eventID = eventID
        self.perUserLimit = perUserLimit
        self.tickets = tickets
    }
}
