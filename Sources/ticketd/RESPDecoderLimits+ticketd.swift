import RESPClient

extension RESPDecoderLimits {
    /// ticketd's limits: the client's defaults, except that one reply may hold a whole event's pool, which the audit
    /// reads in one step (`audit-stock.lua`, so that escrow moves cannot show a ticket twice or not at all). The
    /// default of 1,048,576 elements refused the audit of an event with 3,000,000 unsold tickets; Redis caps a list
    /// at 2^32 - 1 elements.
    static let ticketd = RESPDecoderLimits(maxAggregateCount: Int(UInt32.max))
}
