/// The result of checking every event's books: seeded = available + escrowed + sold, every ticket in exactly one
/// place (the pool, one instance's escrow, or one purchase).
public struct AuditReport: Sendable, Hashable, Codable {
    /// One event's figures and the problems found in it.
    public struct EventAudit: Sendable, Hashable, Codable {
        /// The event.
        public var eventID: EventID
        /// Tickets seeded (the event's capacity).
        public var seeded: Int
        /// Tickets in the pool.
        public var available: Int
        /// Tickets in the instances' escrows (unsold, each sellable by one instance only).
        public var escrowed: Int
        /// Purchases in the ledger.
        public var sold: Int
        /// What is wrong, one line each; empty when the books balance.
        public var problems: [String]

        /// Creates an event audit.
        public init(eventID: EventID, seeded: Int, available: Int, escrowed: Int, sold: Int, problems: [String]) {
            self.eventID = eventID
            self.seeded = seeded
            self.available = available
            self.escrowed = escrowed
            self.sold = sold
            self.problems = problems
        }
    }

    /// Every event, ordered by id.
    public var events: [EventAudit]

    /// Creates a report.
    public init(events: [EventAudit]) { self.events = events }

    /// Whether every event balances.
    public var isClean: Bool { self.events.allSatisfy(\.problems.isEmpty) }
}

/// A store whose books can be checked.
public protocol TicketAuditor: Sendable {
    /// Checks every event.
    /// - Throws: ``TicketStoreError`` when the store cannot be read.
    func audit() async throws(TicketStoreError) -> AuditReport
}
