/// Writes protocol buffers by hand, the few wire types OTLP's trace messages need: varints, 64-bit and 32-bit
/// fixed values, and length-delimited bytes, strings and messages.
struct ProtobufWriter {
    /// The encoded bytes so far.
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private mutating func tag(_ field: Int, _ wireType: WireType) {
        self.varint(UInt64(field) << 3 | wireType.rawValue)
    }

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            self.bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        self.bytes.append(UInt8(value))
    }

    /// A varint field (`uint64`, `int64` as two's complement, `bool`, an enum).
    mutating func varint(_ field: Int, _ value: UInt64) {
        self.tag(field, .varint)
        self.varint(value)
    }

    /// A `fixed64` field, or a `double` by its bit pattern.
    mutating func fixed64(_ field: Int, _ value: UInt64) {
        self.tag(field, .fixed64)
        for shift in stride(from: 0, to: 64, by: 8) { self.bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// A `fixed32` field.
    mutating func fixed32(_ field: Int, _ value: UInt32) {
        self.tag(field, .fixed32)
        for shift in stride(from: 0, to: 32, by: 8) { self.bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// A `bytes` field.
    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        self.tag(field, .lengthDelimited)
        self.varint(UInt64(value.count))
        self.bytes.append(contentsOf: value)
    }

    /// A `string` field, in UTF-8.
    mutating func string(_ field: Int, _ value: String) {
        self.tag(field, .lengthDelimited)
        self.varint(UInt64(value.utf8.count))
        self.bytes.append(contentsOf: value.utf8)
    }

    /// An embedded message field, written by `body`.
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var message = ProtobufWriter()
        body(&message)
        self.bytes(field, message.bytes)
    }
}
