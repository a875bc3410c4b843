/// How much escrow an instance keeps and how often it looks after it.
public struct FallbackConfiguration: Sendable {
    /// The share of an event's capacity kept in escrow (default 0.01, 1 %).
    public var escrowFraction: Double
    /// The most tickets of one event kept in escrow (default 1000).
    public var escrowMaximum: Int
    /// How often the escrow is topped up and the journal settled when Redis is up (default 1 s).
    public var refreshInterval: Duration
    /// How often a `PING` checks, while sales go through Redis, that Redis still answers (default 100 ms).
    public var probeInterval: Duration
    /// How long that `PING` may go unanswered before the instance sells from escrow (default 600 ms). A hung Redis
    /// (SIGSTOP, a stalled disk) is found within about this long, even with a longer command timeout; under load
    /// a `PING` waits behind at most the purchases written before it, a few milliseconds' worth. At a start, the
    /// same time is given to the first connection before Redis counts as unreachable.
    public var probeTimeout: Duration
    /// How long after an instance's last report in Redis it counts as gone, so that its escrow may be released
    /// (default 30 s, at least ten refresh intervals).
    public var goneAfter: Duration

    /// Creates a configuration.
    public init(
        escrowFraction: Double = 0.01,
        escrowMaximum: Int = 1000,
        refreshInterval: Duration = .seconds(1),
        probeInterval: Duration = .milliseconds(100),
        probeTimeout: Duration = .milliseconds(600),
        goneAfter: Duration = .seconds(30)
    ) {
        self.escrowFraction = escrowFraction
        self.escrowMaximum = escrowMaximum
        self.refreshInterval = refreshInterval
        self.probeInterval = probeInterval
        self.probeTimeout = probeTimeout
        self.goneAfter = max(goneAfter, refreshInterval * 10)
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
