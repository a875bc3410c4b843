/// Size and nesting limits that ``RESPDecoder`` enforces while it parses, so a faulty or hostile peer cannot make it
/// allocate without bound or recurse without end.
///
/// Every limit is checked as soon as the bytes that break it arrive (a bulk string's declared length when its header
/// is read, not when its payload is complete), and breaking one throws a ``RESPProtocolError``.
///
/// ```swift
/// let decoder = RESPDecoder(limits: RESPDecoderLimits(maxBulkLength: 1 << 20))
/// ```
public struct RESPDecoderLimits: Sendable, Hashable {
    /// How many aggregates (arrays, maps, sets, pushes, attributes) may be nested inside one another; a top-level array
    /// is at depth 1. Default 32.
    public var maxDepth: Int
    /// The largest bulk string, blob error or verbatim string payload accepted, in bytes. Default 64 MiB.
    public var maxBulkLength: Int
    /// The largest element count an aggregate may declare (for maps and attributes: the number of key-value entries).
    /// Default 1,048,576.
    public var maxAggregateCount: Int
    /// The longest line, in bytes before its CRLF, of a simple string, simple error, integer, double, boolean or big
    /// number. A line that has no CRLF within this many bytes is an error, so a stream of garbage without CRLF cannot
    /// grow the buffer without bound. Default 64 KiB.
    public var maxLineLength: Int

    /// Creates limits; every parameter defaults to the value documented on its property.
    /// - Parameters:
    ///   - maxDepth: How many aggregates may be nested; at least 1.
    ///   - maxBulkLength: The largest bulk payload in bytes; at least 0.
    ///   - maxAggregateCount: The largest aggregate count; at least 0.
    ///   - maxLineLength: The longest simple line in bytes, CRLF excluded; at least 1.
    public init(
        maxDepth: Int = 32,
        maxBulkLength: Int = 64 * 1024 * 1024,
        maxAggregateCount: Int = 1_048_576,
        maxLineLength: Int = 64 * 1024
    ) {
        precondition(maxDepth >= 1, "maxDepth must be at least 1")
        precondition(maxBulkLength >= 0, "maxBulkLength must not be negative")
        precondition(maxAggregateCount >= 0, "maxAggregateCount must not be negative")
        precondition(maxLineLength >= 1, "maxLineLength must be at least 1")
        self.maxDepth = maxDepth
        self.maxBulkLength = maxBulkLength
        self.maxAggregateCount = maxAggregateCount
        self.maxLineLength = maxLineLength
    }
}
