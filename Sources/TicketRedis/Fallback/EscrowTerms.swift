/// What an instance's refresh needs to know of an event before it tops its escrow up.
public struct EscrowTerms: Sendable, Hashable {
    /// The event's capacity (the sum of its stripes').
    public var capacity: Int
    /// The tickets in its pool (the sum of its stripes').
    public var pool: Int
    /// Whether a reset has begun (`ticketd seed --reset`): the instance must give its escrow back, not top it up.
    public var recalled: Bool
}
