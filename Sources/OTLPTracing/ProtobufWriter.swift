/// Writes protocol buffers by hand, the few wire types OTLP's trace messages need: varints, 64-bit and 32-bit
/// fixed values, and length-delimited bytes, strings and messages.
///
/// Everything goes into one growing buffer: an embedded message is written in place after one byte kept for its
/// length, which is filled in afterwards; only a message of 128 bytes or more moves its body, in place, to make
/// room for a longer length. So a request of hundreds of spans costs a handful of allocations, not several per
/// attribute or one per span, and its attributes and events are never moved.
struct ProtobufWriter {
    /// The encoded bytes so far.
    private(set) var bytes: [UInt8] = []

    /// A writer with room for `capacity` bytes.
    init(capacity: Int = 0) {
        self.bytes.reserveCapacity(capacity)
    }

    /// A writer that writes into `storage`, an array emptied with its room kept, and keeps that room. (Emptying it
    /// here would allocate new room: the caller's optional or copy still holds the array while this runs.)
    init(reusing storage: consuming [UInt8]) {
        assert(storage.isEmpty, "reused storage is emptied first")
        self.bytes = storage
    }

    private enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private mutating func tag(_ field: Int, _ wireType: WireType) {
        self.varint(UInt64(field) << 3 | wireType.rawValue)
    }

    /// Appends `value` as a varint: seven bits a byte, least significant first, the high bit set on every byte but
    /// the last.
    private mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            self.bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        self.bytes.append(UInt8(rest))
    }

    /// A varint field (`uint64`, `int64` as two's complement, `bool`, an enum).
    mutating func varint(_ field: Int, _ value: UInt64) {
        self.tag(field, .varint)
        self.varint(value)
    }

    /// A `fixed64` field, or a `double` by its bit pattern.
    mutating func fixed64(_ field: Int, _ value: UInt64) {
        self.tag(field, .fixed64)
        self.littleEndian(value, bytes: 8)
    }

    /// A `fixed32` field.
    mutating func fixed32(_ field: Int, _ value: UInt32) {
        self.tag(field, .fixed32)
        self.littleEndian(UInt64(value), bytes: 4)
    }

    private mutating func littleEndian(_ value: UInt64, bytes count: Int) {
        for index in 0..<count { self.bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * index))) }
    }

    /// A `bytes` field holding `words`, each most significant byte first: how trace and span ids travel.
    mutating func bytes(_ field: Int, bigEndian words: UInt64...) {
        self.tag(field, .lengthDelimited)
        self.varint(UInt64(8 * words.count))
        for word in words {
            for index in 0..<8 { self.bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * index))) }
        }
    }

    /// A `string` field, in UTF-8.
    mutating func string(_ field: Int, _ value: String) {
        self.tag(field, .lengthDelimited)
        self.varint(UInt64(value.utf8.count))
        // Copied from the string's contiguous UTF-8 in one go; a bridged string has none and is walked.
        if value.utf8.withContiguousStorageIfAvailable({ self.bytes.append(contentsOf: $0) }) == nil {
            self.bytes.append(contentsOf: value.utf8)
        }
    }

    /// Fields encoded before, by another writer, as they are.
    mutating func append(encoded fields: [UInt8]) {
        self.bytes.append(contentsOf: fields)
    }

    /// An embedded message field, written by `body`.
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        self.tag(field, .lengthDelimited)
        let lengthIndex = self.bytes.count
        self.bytes.append(0)
        body(&self)
        var length = self.bytes.count - lengthIndex - 1
        if length >= 0x80 {
            // The length takes one byte per seven bits: make room for the rest after the byte kept, then write it.
            let extra = (Int.bitWidth - length.leadingZeroBitCount - 1) / 7
            self.bytes.insert(contentsOf: repeatElement(0, count: extra), at: lengthIndex + 1)
        }
        var index = lengthIndex
        while length >= 0x80 {
            self.bytes[index] = UInt8(truncatingIfNeeded: length) | 0x80
            length >>= 7
            index += 1
        }
        self.bytes[index] = UInt8(length)
    }
}
