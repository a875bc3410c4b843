/// What a store with a fallback (ticketd's `FallbackTicketStore`) is doing, for `/health` and the metrics.
public struct FallbackStatus: Sendable, Hashable, Codable {
    /// Where sales come from.
    public var mode: FallbackMode
    /// Since when, in milliseconds since 1970.
    public var since: Int64
    /// This instance's id.
    public var instanceID: InstanceID
    /// Tickets this instance may still sell from escrow, per event id.
    public var escrow: [String: Int]
    /// Fallback sales not yet recorded in Redis.
    public var journalBacklog: Int
    /// Sales made from escrow since start.
    public var fallbackSales: Int
    /// Settled sales that Redis disagreed with (Redis had sold a ticket for the same purchase, or the ticket had left the escrow), since start.
    public var settleConflicts: Int

    /// Creates a status.
    public init(
        mode: FallbackMode,
        since: Int64,
        instanceID: InstanceID,
        escrow: [String: Int],
        journalBacklog: Int,
        fallbackSales: Int,
        settleConflicts: Int
    ) {
        self.mode = mode
        self.since = since
        self.instanceID = instanceID
        self.escrow = escrow
        self.journalBacklog = journalBacklog
        self.fallbackSales = fallbackSales
        self.settleConflicts = settleConflicts
    }
}
