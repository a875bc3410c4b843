/// A W3C span id (parent id in a `traceparent`): 8 bytes, never all zero, written as 16 lowercase hex digits.
public struct SpanID: Hashable, Sendable {
    /// The eight bytes, big-endian.
    public let value: UInt64

    /// The id `value`.
    public init(_ value: UInt64) {
        self.value = value
    }

    /// Reads 16 hex digits; `nil` for another length, a non-hex digit or the invalid all-zero id.
    public init?(hex: Substring) {
        guard hex.utf8.count == 16, let value = UInt64(hexDigits: hex), value != 0 else { return nil }
        self.init(value)
    }

    /// The 16 lowercase hex digits.
    public var hex: String { self.value.hexDigits }
}
