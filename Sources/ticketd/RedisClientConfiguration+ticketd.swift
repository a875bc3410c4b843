import RESPClient

extension RedisClientConfiguration {
    /// The configuration every Redis client of ticketd starts from (the server's, `seed`'s and `audit`'s): the
    /// client's defaults for `url`, except that one reply may hold a whole event's pool, which the audit reads in one
    /// step (`audit-stock.lua`, so that escrow moves cannot show a ticket twice or not at all). The default limit of
    /// 1,048,576 elements refused the audit of an event with 3,000,000 unsold tickets; Redis caps a list at
    /// 2^32 - 1 elements.
    static func ticketd(url: String) throws -> RedisClientConfiguration {
        var configuration = try RedisClientConfiguration(url: url)
        configuration.connection.decoderLimits = RESPDecoderLimits(maxAggregateCount: Int(UInt32.max))
        return configuration
    }
}
