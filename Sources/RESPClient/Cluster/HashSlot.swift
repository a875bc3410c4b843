/// A Redis Cluster hash slot: which of the 16384 slots a key belongs to.
///
/// The slot is CRC16-XMODEM (polynomial 0x1021, initial value 0) of the key modulo 16384. When the key holds a
/// hash tag, only the tag is hashed: the bytes between the first `{` and the first `}` after it, if there is at
/// least one byte between them. So `event:{42}:tickets` and `event:{42}:meta` share a slot.
public struct HashSlot: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// How many slots a cluster has.
    public static let count = 16384

    /// The slot number, 0…16383.
    public let rawValue: UInt16

    /// A slot from its number.
    /// - Precondition: `rawValue` is below ``count``.
    public init(rawValue: UInt16) {
        precondition(Int(rawValue) < Self.count, "hash slot \(rawValue) is out of range")
        self.rawValue = rawValue
    }

    /// The slot of a key given as bytes.
    public init(key: some Collection<UInt8>) {
        self.init(rawValue: Self.crc16(Self.hashedPart(of: key)) & UInt16(Self.count - 1))
    }

    /// The slot of a key given as text (its UTF-8 bytes).
    public init(key: String) {
        self.init(key: key.utf8)
    }

    public static func < (lhs: HashSlot, rhs: HashSlot) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(self.rawValue) }

    /// The hash tag of `key` if it has a non-empty one, else the whole key.
    static func hashedPart<Key: Collection<UInt8>>(of key: Key) -> Key.SubSequence {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")) else { return key[...] }
        let afterOpen = key.index(after: open)
        guard let close = key[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close != afterOpen else { return key[...] }
        return key[afterOpen..<close]
    }

    /// CRC16-XMODEM (CCITT polynomial 0x1021, initial value 0, no reflection), as Redis Cluster uses it.
    static func crc16(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ Self.table[Int((crc >> 8) ^ UInt16(byte)) & 0xFF]
        }
        return crc
    }

    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }
}
