import NIOCore
import RESPClient
import Testing

@Suite("RESPCommand")
struct RESPCommandTests {
    /// The bytes of a command as text, for readable comparisons.
    static func wire(_ command: RESPCommand) -> String {
        String(decoding: command.bytes.readableBytesView, as: UTF8.self)
    }

    static let sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"

    @Test func get() {
        let command = RESPCommand("GET", "k")
        #expect(command.name == "GET")
        #expect(Array(command.bytes.readableBytesView) == Array("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".utf8))
    }

    @Test func set() {
        #expect(Self.wire(RESPCommand("SET", "k", "v")) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
    }

    @Test func commandWithoutArguments() {
        #expect(Self.wire(RESPCommand("PING")) == "*1\r\n$4\r\nPING\r\n")
        #expect(Self.wire(RESPCommand("PING", [])) == "*1\r\n$4\r\nPING\r\n")
    }

    @Test func evalshaWithoutKeys() {
        let command = RESPCommand("EVALSHA", [.string(Self.sha), 0])
        #expect(Self.wire(command) == "*3\r\n$7\r\nEVALSHA\r\n$40\r\n\(Self.sha)\r\n$1\r\n0\r\n")
    }

    @Test func evalshaWithOneKey() {
        let command = RESPCommand("EVALSHA", [.string(Self.sha), 1, .string("event:{1}:tickets"), .integer(42)])
        #expect(
            Self.wire(command)
                == "*5\r\n$7\r\nEVALSHA\r\n$40\r\n\(Self.sha)\r\n$1\r\n1\r\n$17\r\nevent:{1}:tickets\r\n$2\r\n42\r\n"
        )
    }

    @Test func evalshaWithThreeKeys() {
        let command = RESPCommand("EVALSHA", [.string(Self.sha), 3, "a", "{b}c", "dd", "arg"])
        #expect(
            Self.wire(command)
                == "*7\r\n$7\r\nEVALSHA\r\n$40\r\n\(Self.sha)\r\n$1\r\n3\r\n$1\r\na\r\n$4\r\n{b}c\r\n$2\r\ndd\r\n$3\r\narg\r\n"
        )
    }

    @Test(
        "integer arguments are sent as decimal bulk strings",
        arguments: [
            (0, "0"), (-1, "-1"), (7, "7"), (10, "10"), (-10, "-10"), (99, "99"), (100, "100"),
            (Int.max, "9223372036854775807"), (Int.min, "-9223372036854775808"),
        ]
    )
    func integerArgument(_ value: Int, _ text: String) {
        let command = RESPCommand("INCRBY", "k", .integer(value))
        #expect(Self.wire(command) == "*3\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$\(text.utf8.count)\r\n\(text)\r\n")
    }

    @Test func emptyStringArgument() {
        #expect(Self.wire(RESPCommand("SET", "k", "")) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n")
    }

    @Test func binaryArgumentIsSentByteForByte() {
        let payload: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0x00, 0x0D, 0x0A]
        let command = RESPCommand("SET", "k", .bytes(ByteBuffer(bytes: payload)))
        let expected = Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$7\r\n".utf8) + payload + Array("\r\n".utf8)
        #expect(Array(command.bytes.readableBytesView) == expected)
    }

    @Test func binaryArgumentSendsOnlyItsReadableBytes() {
        var buffer = ByteBuffer(string: "skipAB")
        buffer.moveReaderIndex(forwardBy: 4)
        #expect(Self.wire(RESPCommand("SET", "k", .bytes(buffer))) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nAB\r\n")
    }

    @Test func nonASCIITextIsCountedInBytes() {
        // "é" is 2 bytes, "€" 3, "🎟" 4: 9 bytes in 3 characters.
        let text = "\u{e9}\u{20ac}\u{1f39f}"
        #expect(text.count == 3)
        let command = RESPCommand("SET", .string(text), "v")
        let expected = Array("*3\r\n$3\r\nSET\r\n$9\r\n".utf8) + Array(text.utf8) + Array("\r\n$1\r\nv\r\n".utf8)
        #expect(Array(command.bytes.readableBytesView) == expected)
    }

    @Test func nonASCIICommandNameIsCountedInBytes() {
        #expect(Self.wire(RESPCommand("\u{e9}")) == "*1\r\n$2\r\n\u{e9}\r\n")
    }

    @Test func encodedCommandDecodesBack() throws {
        let command = RESPCommand("EVALSHA", [.string(Self.sha), 1, "k\u{e9}", .integer(.min), .bytes(ByteBuffer(bytes: [0, 13, 10]))])
        var decoder = RESPDecoder()
        var buffer = command.bytes
        let value = try #require(try decoder.decode(buffer: &buffer))
        #expect(
            value
                == .array([
                    .bulkString(ByteBuffer(string: "EVALSHA")),
                    .bulkString(ByteBuffer(string: Self.sha)),
                    .bulkString(ByteBuffer(string: "1")),
                    .bulkString(ByteBuffer(string: "k\u{e9}")),
                    .bulkString(ByteBuffer(string: "-9223372036854775808")),
                    .bulkString(ByteBuffer(bytes: [0, 13, 10])),
                ])
        )
        #expect(buffer.readableBytes == 0)
    }
}
