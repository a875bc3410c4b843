/// A W3C trace id: 16 bytes, never all zero, written as 32 lowercase hex digits.
public struct TraceID: Hashable, Sendable {
    /// The first eight bytes, big-endian.
    public let high: UInt64
    /// The last eight bytes, big-endian: what a trace-id ratio sampler compares.
    public let low: UInt64

    /// The id of these two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads 32 hex digits; `nil` for another length, a non-hex digit or the invalid all-zero id.
    public init?(hex: Substring) {
        guard hex.utf8.count == 32, let high = UInt64(hexDigits: hex.prefix(16)), let low = UInt64(hexDigits: hex.suffix(16)),
            high | low != 0
        else { return nil }
        self.init(high: high, low: low)
    }

    /// The 32 lowercase hex digits.
    public var hex: String { self.high.hexDigits + self.low.hexDigits }
}
