/// One event's books as the tester sees them: its own count of sales next to the service's.
public struct EventAudit: Sendable, Hashable, Codable {
    /// The event.
    public var event: String
    /// `201` answers the tester read for it.
    public var soldSeen: Int
    /// The service's counts before the run.
    public var before: EventCounts
    /// The service's counts after the run.
    public var after: EventCounts
    /// Tickets sold according to the service: `after.sold - before.sold`.
    public var soldByServer: Int { self.after.sold - self.before.sold }

    /// An event's books.
    public init(event: String, soldSeen: Int, before: EventCounts, after: EventCounts) {
        self.event = event
        self.soldSeen = soldSeen
        self.before = before
        self.after = after
    }
}
