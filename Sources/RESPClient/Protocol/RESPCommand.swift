import NIOCore

/// A Redis command, encoded once as a RESP2 array of bulk strings.
///
/// The bytes are written when the command is created, on the caller's thread, straight into one buffer sized
/// for them; the connection later appends them to its per-tick outbound buffer, so no intermediate value
/// tree is ever built.
///
/// ```swift
/// let set = RESPCommand("SET", "greeting", "hello")
/// let evalsha = RESPCommand("EVALSHA", [.string(sha), 1, .string("event:{1}:tickets"), .integer(42)])
/// ```
public struct RESPCommand: Sendable {
    /// The command's name (`GET`, `EVALSHA`), used for metrics and logs.
    public let name: String
    /// The encoded command: `*N\r\n` followed by N bulk strings.
    public let bytes: ByteBuffer

    /// Creates a command from its name and arguments.
    /// - Parameters:
    ///   - name: The command name, sent as the first bulk string.
    ///   - arguments: The arguments, each sent as one bulk string.
    public init(_ name: String, _ arguments: [RESPArgument]) {
        self.name = name
        var capacity = 16 + name.utf8.count
        for argument in arguments { capacity += argument.encodedLengthEstimate }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(capacity)
        buffer.writeRESPArrayHeader(count: arguments.count + 1)
        buffer.writeRESPBulkString(utf8: name)
        for argument in arguments { argument.encode(into: &buffer) }
        self.bytes = buffer
    }

    /// Creates a command from its name and a variadic list of arguments.
    public init(_ name: String, _ arguments: RESPArgument...) {
        self.init(name, arguments)
    }
}

/// One argument of a ``RESPCommand``: text, bytes or an integer, each sent as a bulk string.
public struct RESPArgument: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    private enum Storage: Sendable {
        case string(String)
        case bytes(ByteBuffer)
        case integer(Int)
    }

    private let storage: Storage

    /// A UTF-8 text argument.
    public static func string(_ text: String) -> RESPArgument { RESPArgument(storage: .string(text)) }
    /// A binary argument, sent as its readable bytes.
    public static func bytes(_ bytes: ByteBuffer) -> RESPArgument { RESPArgument(storage: .bytes(bytes)) }
    /// An integer argument, sent as its decimal text.
    public static func integer(_ value: Int) -> RESPArgument { RESPArgument(storage: .integer(value)) }

    private init(storage: Storage) { self.storage = storage }

    /// Creates a text argument from a string literal.
    public init(stringLiteral value: String) { self.storage = .string(value) }

    /// Creates an integer argument from an integer literal.
    public init(integerLiteral value: Int) { self.storage = .integer(value) }

    var encodedLengthEstimate: Int {
        switch self.storage {
        case .string(let text): return text.utf8.count + 16
        case .bytes(let bytes): return bytes.readableBytes + 16
        case .integer: return 40
        }
    }

    func encode(into buffer: inout ByteBuffer) {
        switch self.storage {
        case .string(let text): buffer.writeRESPBulkString(utf8: text)
        case .bytes(let bytes): buffer.writeRESPBulkString(bytes: bytes)
        case .integer(let value): buffer.writeRESPBulkString(integer: value)
        }
    }
}

extension ByteBuffer {
    @inlinable
    mutating func writeRESPArrayHeader(count: Int) {
        self.writeInteger(UInt8(ascii: "*"))
        self.writeDecimal(count)
        self.writeCRLF()
    }

    @inlinable
    mutating func writeRESPBulkString(utf8 text: String) {
        self.writeInteger(UInt8(ascii: "$"))
        self.writeDecimal(text.utf8.count)
        self.writeCRLF()
        self.writeString(text)
        self.writeCRLF()
    }

    @inlinable
    mutating func writeRESPBulkString(bytes: ByteBuffer) {
        self.writeInteger(UInt8(ascii: "$"))
        self.writeDecimal(bytes.readableBytes)
        self.writeCRLF()
        self.writeImmutableBuffer(bytes)
        self.writeCRLF()
    }

    @inlinable
    mutating func writeRESPBulkString(integer value: Int) {
        self.writeInteger(UInt8(ascii: "$"))
        self.writeDecimal(Self.decimalLength(of: value))
        self.writeCRLF()
        self.writeDecimal(value)
        self.writeCRLF()
    }

    @inlinable
    mutating func writeCRLF() {
        self.writeInteger(UInt16(0x0D0A))
    }

    /// Writes `value` in decimal without going through `String`.
    @inlinable
    mutating func writeDecimal(_ value: Int) {
        if value == 0 {
            self.writeInteger(UInt8(ascii: "0"))
            return
        }
        if value < 0 { self.writeInteger(UInt8(ascii: "-")) }
        // The magnitude of Int.min does not fit in Int; UInt holds every magnitude.
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes, room for the 20 digits of UInt64.max
        let count = withUnsafeMutableBytes(of: &digits) { raw -> Int in
            var index = raw.count
            while magnitude > 0 {
                index -= 1
                raw[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            return raw.count - index
        }
        withUnsafeBytes(of: &digits) { raw in
            _ = self.writeBytes(UnsafeRawBufferPointer(rebasing: raw[(raw.count - count)...]))
        }
    }

    /// The number of bytes `writeDecimal(value)` writes.
    @inlinable
    static func decimalLength(of value: Int) -> Int {
        var magnitude = value.magnitude
        var length = value < 0 ? 2 : 1
        while magnitude >= 10 {
            magnitude /= 10
            length += 1
        }
        return length
    }
}
