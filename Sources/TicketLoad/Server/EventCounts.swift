/// An event's counts as `GET /events/:eventId` gives them, before and after a run.
public struct EventCounts: Sendable, Hashable, Codable {
    /// Tickets the event was seeded with.
    public var capacity: Int
    /// Tickets left.
    public var available: Int
    /// Tickets sold.
    public var sold: Int
    /// Tickets one named buyer may hold (0: no limit).
    public var perUserLimit: Int

    /// Counts as given.
    public init(capacity: Int, available: Int, sold: Int, perUserLimit: Int) {
        self.capacity = capacity
        self.available = available
        self.sold = sold
        self.perUserLimit = perUserLimit
    }
}
