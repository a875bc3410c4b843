/// An event and its ticket counts at one moment.
public struct EventSnapshot: Sendable, Hashable, Codable {
    /// The event's id.
    public var id: EventID
    /// Its name.
    public var name: String
    /// Where it takes place, if known.
    public var venue: String?
    /// When it starts (ISO 8601), if known.
    public var startsAt: String?
    /// How many tickets were seeded.
    public var capacity: Int
    /// How many are still for sale.
    public var available: Int
    /// How many are sold.
    public var sold: Int
    /// How many tickets one known buyer may hold; 0 for no limit.
    public var perUserLimit: Int

    /// Creates a snapshot.
    public init(id: EventID, name: String, venue: String?, startsAt: String?, capacity: Int, available: Int, sold: Int, perUserLimit: Int) {
        self.id = id
        self.name = name
        self.venue = venue
        self.startsAt = startsAt
        self.capacity = capacity
        self.available = available
        self.sold = sold
        self.perUserLimit = perUserLimit
    }
}
