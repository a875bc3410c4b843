import NIOCore

/// One value of the Redis serialization protocol, RESP2 or RESP3, as decoded from a reply.
///
/// RESP2's null bulk string (`$-1`) and null array (`*-1`) and RESP3's null (`_`) all decode to ``null``.
/// Attributes (`|`) are read and dropped; the value they annotate is returned.
public enum RESPValue: Sendable, Hashable {
    /// A simple string (`+OK`).
    case simpleString(String)
    /// An error reply (`-ERR …` or RESP3 `!` blob error), the whole text including its code.
    case error(String)
    /// A signed 64-bit integer (`:`).
    case integer(Int64)
    /// A binary-safe bulk string (`$`), kept as the received bytes.
    case bulkString(ByteBuffer)
    /// The absence of a value.
    case null
    /// An array (`*`).
    case array([RESPValue])
    /// A RESP3 double (`,`), including `inf`, `-inf` and `nan`.
    case double(Double)
    /// A RESP3 boolean (`#t` / `#f`).
    case boolean(Bool)
    /// A RESP3 big number (`(`), as its decimal text.
    case bigNumber(String)
    /// A RESP3 verbatim string (`=`): a three-letter format (`txt`, `mkd`) and the text.
    case verbatimString(format: String, text: String)
    /// A RESP3 map (`%`), its entries in the order received.
    case map([RESPMapEntry])
    /// A RESP3 set (`~`), its members in the order received.
    case set([RESPValue])
    /// A RESP3 push message (`>`).
    case push([RESPValue])

    /// The text of a simple string, bulk string or verbatim string; `nil` for any other value
    /// or for bytes that are not UTF-8.
    public var string: String? {
        switch self {
        case .simpleString(let text): return text
        case .bulkString(let bytes): return bytes.getString(at: bytes.readerIndex, length: bytes.readableBytes)
        case .verbatimString(_, let text): return text
        default: return nil
        }
    }

    /// The integer of an integer reply, or of a simple or bulk string that spells one; `nil` otherwise.
    public var integer: Int64? {
        switch self {
        case .integer(let value): return value
        case .simpleString, .bulkString: return self.string.flatMap { Int64($0) }
        default: return nil
        }
    }

    /// The elements of an array, set or push message; `nil` for any other value.
    public var array: [RESPValue]? {
        switch self {
        case .array(let values), .set(let values), .push(let values): return values
        default: return nil
        }
    }

    /// Whether this is the null value.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// One key and value of a RESP3 map.
public struct RESPMapEntry: Sendable, Hashable {
    /// The entry's key.
    public var key: RESPValue
    /// The entry's value.
    public var value: RESPValue

    /// Creates a map entry.
    public init(key: RESPValue, value: RESPValue) {
        self.key = key
        self.value = value
    }
}
