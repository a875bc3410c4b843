/// The names of ticketd's own attributes on trace spans, shared by the HTTP, Redis and PDF spans so that one
/// purchase can be found by the same key wherever it went.
public enum TraceAttribute {
    /// The event a purchase is for (string).
    public static let eventID = "ticketd.event_id"
    /// The purchase's id, the same as in the ledger and the ticket's file name (string).
    public static let purchaseID = "ticketd.purchase_id"
    /// How a purchase ended: `sold`, `replayed`, `sold_out`, `escrow_held`, `unknown_event`, `user_limit` or `unavailable` (string).
    public static let purchaseOutcome = "ticketd.purchase.outcome"
    /// The Lua script a Redis call ran, such as `purchase.lua` (string).
    public static let redisScript = "ticketd.redis.script"
    /// Whether a purchase was sold from this instance's escrow while Redis was unreachable (bool): `true` on the
    /// `sell from escrow` span, `false` on the `EVALSHA purchase.lua` span of a purchase sent to Redis.
    public static let fallback = "ticketd.fallback"
    /// How many fallback sales a settle span recorded in Redis (int).
    public static let settledSales = "ticketd.fallback.settled"
    /// How many of those met a sale Redis had made of the same ticket or purchase (int); see `SettleOutcome`.
    public static let settleConflicts = "ticketd.fallback.settle_conflicts"
    /// How many tickets an escrow span moved into this instance's escrow (int); negative when they went back to the
    /// pool.
    public static let escrowTickets = "ticketd.escrow.tickets"
    /// How many tickets of the event this instance's escrow holds after a top-up (int).
    public static let escrowSize = "ticketd.escrow.size"
}
