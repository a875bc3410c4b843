/// How much escrow an instance keeps and how often it looks after it.
public struct FallbackConfiguration: Sendable {
    /// The share of an event's capacity kept in escrow (default 0.01, 1 %).
    public var escrowFraction: Double
    /// The most tickets of one event kept in escrow (default 1000).
    public var escrowMaximum: Int
    /// How often the escrow is topped up and the journal settled when Redis is up (default 1 s).
    public var refreshInterval: Duration

    /// Creates a configuration.
    public init(escrowFraction: Double = 0.01, escrowMaximum: Int = 1000, refreshInterval: Duration = .seconds(1)) {
        self.escrowFraction = escrowFraction
        self.escrowMaximum = escrowMaximum
        self.refreshInterval = refreshInterval
    }

    /// The escrow size for an event of `capacity` tickets.
    func escrowSize(capacity: Int) -> Int {
        max(0, min(self.escrowMaximum, Int((Double(capacity) * self.escrowFraction).rounded(.up))))
    }

    /// Escrow is taken only while the pool keeps this many tickets (four escrows), so it never empties the pool.
    func reserve(escrowSize: Int) -> Int { 4 * escrowSize }

    /// Below this many tickets in the pool (two escrows) the escrow goes back, so the last tickets are not
    /// stranded and sold out stays exact. Between this and ``reserve(escrowSize:)`` nothing moves: no flapping.
    func giveBackBelow(escrowSize: Int) -> Int { 2 * escrowSize }
}
