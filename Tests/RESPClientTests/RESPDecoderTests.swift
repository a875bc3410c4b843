import NIOCore
import RESPClient
import Testing

@Suite("RESPDecoder")
struct RESPDecoderTests {
    /// One reply on the wire and the value it decodes to.
    struct Fixture: CustomTestStringConvertible, Sendable {
        let wire: String
        let value: RESPValue

        init(_ wire: String, _ value: RESPValue) {
            self.wire = wire
            self.value = value
        }

        var bytes: [UInt8] { Array(self.wire.utf8) }
        var testDescription: String { self.wire.debugDescription }
    }

    static func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }

    static let fixtures: [Fixture] = [
        Fixture("+OK\r\n", .simpleString("OK")),
        Fixture("+\r\n", .simpleString("")),
        Fixture("+h\u{e9}llo w\u{f6}rld\r\n", .simpleString("h\u{e9}llo w\u{f6}rld")),
        Fixture("-ERR unknown command 'FOO'\r\n", .error("ERR unknown command 'FOO'")),
        Fixture("-NOSCRIPT No matching script. Please use EVAL.\r\n", .error("NOSCRIPT No matching script. Please use EVAL.")),
        Fixture(":0\r\n", .integer(0)),
        Fixture(":42\r\n", .integer(42)),
        Fixture(":-17\r\n", .integer(-17)),
        Fixture(":+5\r\n", .integer(5)),
        Fixture(":9223372036854775807\r\n", .integer(.max)),
        Fixture(":-9223372036854775808\r\n", .integer(.min)),
        Fixture("$0\r\n\r\n", bulk("")),
        Fixture("$5\r\nhello\r\n", bulk("hello")),
        Fixture("$8\r\na\r\nb\r\n\r\n\r\n", bulk("a\r\nb\r\n\r\n")),
        Fixture("$-1\r\n", .null),
        Fixture("*-1\r\n", .null),
        Fixture("_\r\n", .null),
        Fixture("*0\r\n", .array([])),
        Fixture("*2\r\n$3\r\nfoo\r\n:42\r\n", .array([bulk("foo"), .integer(42)])),
        Fixture(
            "*3\r\n*2\r\n:1\r\n:2\r\n*0\r\n*1\r\n*1\r\n$-1\r\n",
            .array([.array([.integer(1), .integer(2)]), .array([]), .array([.array([.null])])])
        ),
        Fixture("*4\r\n:1\r\n$1\r\na\r\n_\r\n:2\r\n", .array([.integer(1), bulk("a"), .null, .integer(2)])),
        Fixture(",3.25\r\n", .double(3.25)),
        Fixture(",-1.5e3\r\n", .double(-1500)),
        Fixture(",1E-2\r\n", .double(0.01)),
        Fixture(",10\r\n", .double(10)),
        Fixture(",inf\r\n", .double(.infinity)),
        Fixture(",-inf\r\n", .double(-.infinity)),
        Fixture(",nan\r\n", .double(.nan)),
        Fixture("#t\r\n", .boolean(true)),
        Fixture("#f\r\n", .boolean(false)),
        Fixture("(3492890328409238509324850943850943825024385\r\n", .bigNumber("3492890328409238509324850943850943825024385")),
        Fixture("(-12\r\n", .bigNumber("-12")),
        Fixture("!21\r\nSYNTAX invalid syntax\r\n", .error("SYNTAX invalid syntax")),
        Fixture("=15\r\ntxt:Some string\r\n", .verbatimString(format: "txt", text: "Some string")),
        Fixture("=6\r\nmkd:\r\n\r\n", .verbatimString(format: "mkd", text: "\r\n")),
        Fixture(
            "%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n#f\r\n",
            .map([
                RESPMapEntry(key: .simpleString("first"), value: .integer(1)),
                RESPMapEntry(key: bulk("second"), value: .boolean(false)),
            ])
        ),
        Fixture("%0\r\n", .map([])),
        Fixture("~3\r\n+a\r\n:1\r\n,2.5\r\n", .set([.simpleString("a"), .integer(1), .double(2.5)])),
        Fixture(">3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$2\r\nhi\r\n", .push([bulk("message"), bulk("chan"), bulk("hi")])),
        Fixture("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n:42\r\n", .integer(42)),
        Fixture(
            "*2\r\n|1\r\n+ttl\r\n:3600\r\n$1\r\nv\r\n|0\r\n+OK\r\n",
            .array([bulk("v"), .simpleString("OK")])
        ),
    ]

    // MARK: Helpers

    /// Decodes every value in `bytes` fed at once, then checks that nothing is left over.
    static func decodeAll(_ bytes: [UInt8], limits: RESPDecoderLimits = .init()) throws -> [RESPValue] {
        var decoder = RESPDecoder(limits: limits)
        var buffer = ByteBuffer(bytes: bytes)
        var values: [RESPValue] = []
        while let value = try decoder.decode(buffer: &buffer) { values.append(value) }
        return values
    }

    static func decodeOne(_ text: String, limits: RESPDecoderLimits = .init()) throws -> RESPValue? {
        var decoder = RESPDecoder(limits: limits)
        var buffer = ByteBuffer(string: text)
        return try decoder.decode(buffer: &buffer)
    }

    /// Equality that treats two NaN doubles as the same value, so fixtures with `nan` compare.
    static func same(_ lhs: RESPValue, _ rhs: RESPValue) -> Bool {
        switch (lhs, rhs) {
        case (.double(let left), .double(let right)):
            return left == right || (left.isNaN && right.isNaN)
        case (.array(let left), .array(let right)), (.set(let left), .set(let right)), (.push(let left), .push(let right)):
            return left.count == right.count && zip(left, right).allSatisfy { Self.same($0, $1) }
        case (.map(let left), .map(let right)):
            return left.count == right.count && zip(left, right).allSatisfy { Self.same($0.key, $1.key) && Self.same($0.value, $1.value) }
        default:
            return lhs == rhs
        }
    }

    // MARK: Every type

    @Test("decodes a whole reply", arguments: fixtures)
    func decodesWholeReply(_ fixture: Fixture) throws {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer(bytes: fixture.bytes)
        let value = try #require(try decoder.decode(buffer: &buffer))
        #expect(Self.same(value, fixture.value), "\(value) != \(fixture.value)")
        #expect(buffer.readableBytes == 0)
        #expect(try decoder.decode(buffer: &buffer) == nil)
    }

    @Test func bulkStringIsBinarySafe() throws {
        let payload: [UInt8] = [0x00, 0xFF, 0x0D, 0x0A, 0x80, 0x0D]
        var buffer = ByteBuffer(string: "$6\r\n")
        buffer.writeBytes(payload)
        buffer.writeString("\r\n")
        var decoder = RESPDecoder()
        let value = try #require(try decoder.decode(buffer: &buffer))
        #expect(value == .bulkString(ByteBuffer(bytes: payload)))
    }

    @Test func invalidUTF8InSimpleStringIsReplaced() throws {
        var buffer = ByteBuffer(bytes: [UInt8(ascii: "+"), UInt8(ascii: "a"), 0xFF, UInt8(ascii: "b"), 0x0D, 0x0A])
        var decoder = RESPDecoder()
        #expect(try decoder.decode(buffer: &buffer) == .simpleString("a\u{FFFD}b"))
    }

    @Test func attributeOnlyReturnsNothingUntilItsValueArrives() throws {
        #expect(try Self.decodeOne("|1\r\n+a\r\n+b\r\n") == nil)
        #expect(try Self.decodeOne("|1\r\n+a\r\n+b\r\n#t\r\n") == .boolean(true))
    }

    @Test func nestingUpToTheLimitDecodes() throws {
        let wire = String(repeating: "*1\r\n", count: 32) + ":7\r\n"
        var expected = RESPValue.integer(7)
        for _ in 0..<32 { expected = .array([expected]) }
        #expect(try Self.decodeOne(wire) == expected)
    }

    // MARK: Fragmentation

    @Test("decodes the same value split at every byte", arguments: fixtures)
    func decodesSplitAtEveryByte(_ fixture: Fixture) throws {
        let bytes = fixture.bytes
        for split in 0..<bytes.count {
            var decoder = RESPDecoder()
            var buffer = ByteBuffer(bytes: bytes[..<split])
            let readerIndex = buffer.readerIndex
            #expect(try decoder.decode(buffer: &buffer) == nil, "split at \(split)")
            #expect(buffer.readerIndex == readerIndex && buffer.readableBytes == split, "split at \(split) moved the reader index")
            buffer.writeBytes(bytes[split...])
            let value = try #require(try decoder.decode(buffer: &buffer), "split at \(split)")
            #expect(Self.same(value, fixture.value), "split at \(split): \(value)")
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test("decodes the same value fed one byte at a time", arguments: fixtures)
    func decodesOneByteAtATime(_ fixture: Fixture) throws {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer()
        var decoded: [RESPValue] = []
        for byte in fixture.bytes {
            buffer.writeInteger(byte)
            if let value = try decoder.decode(buffer: &buffer) { decoded.append(value) }
        }
        try #require(decoded.count == 1)
        #expect(Self.same(decoded[0], fixture.value))
        #expect(buffer.readableBytes == 0)
    }

    /// A value larger than ``RESPDecoder/scanThreshold`` arriving in many reads (an event's pool for the audit) is
    /// followed by a scan and parsed once whole: it was parsed again from its first byte at every read, which took
    /// an audit of 2,000,000 tickets past its deadline. The result is the same as the whole value's, and the reply
    /// after it in the stream is read too.
    @Test func aLargeValueInManyReadsDecodesAsTheWholeOne() throws {
        var wire = "*40001\r\n"
        var elements: [RESPValue] = []
        for index in 0..<10_000 {
            wire += "$\(String(index).utf8.count)\r\n\(index)\r\n:\(index)\r\n%1\r\n+k\r\n*2\r\n_\r\n#t\r\n|1\r\n+a\r\n:1\r\n,1.5\r\n"
            let entry = RESPMapEntry(key: .simpleString("k"), value: .array([.null, .boolean(true)]))
            elements += [Self.bulk(String(index)), .integer(Int64(index)), .map([entry]), .double(1.5)]
        }
        wire += "$-1\r\n"
        elements.append(.null)
        let bytes = Array((wire + "+NEXT\r\n").utf8)
        #expect(bytes.count > 4 * 64 * 1024, "well past the size from which the decoder scans")
        for chunk in [997, 65_536] {
            var decoder = RESPDecoder()
            var buffer = ByteBuffer()
            var decoded: [RESPValue] = []
            for start in stride(from: 0, to: bytes.count, by: chunk) {
                buffer.writeBytes(bytes[start..<min(start + chunk, bytes.count)])
                while let value = try decoder.decode(buffer: &buffer) { decoded.append(value) }
            }
            try #require(decoded.count == 2, "chunks of \(chunk)")
            #expect(Self.same(decoded[0], .array(elements)), "chunks of \(chunk)")
            #expect(decoded[1] == .simpleString("NEXT"))
        }
    }

    /// A large value that turns malformed after many reads fails as the whole one does.
    @Test func aLargeValueThatTurnsMalformedFailsAsTheWholeOne() throws {
        let wire = "*2\r\n$200000\r\n" + String(repeating: "x", count: 200_000) + "\r\n:12a\r\n"
        let whole = #expect(throws: RESPProtocolError.self) { try Self.decodeAll(Array(wire.utf8)) }
        var decoder = RESPDecoder()
        var buffer = ByteBuffer()
        let bytes = Array(wire.utf8)
        let error = #expect(throws: RESPProtocolError.self) {
            for start in stride(from: 0, to: bytes.count, by: 4096) {
                buffer.writeBytes(bytes[start..<min(start + 4096, bytes.count)])
                _ = try decoder.decode(buffer: &buffer)
            }
        }
        #expect(error == whole)
    }

    @Test func decodesSeveralRepliesInOneBufferInOrder() throws {
        let bytes = Self.fixtures.flatMap(\.bytes)
        let values = try Self.decodeAll(bytes)
        try #require(values.count == Self.fixtures.count)
        for (value, fixture) in zip(values, Self.fixtures) {
            #expect(Self.same(value, fixture.value), "\(value) != \(fixture.value)")
        }
    }

    @Test func consumesExactlyOneValue() throws {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer(string: "+OK\r\n:1\r\n$3\r\nab")
        #expect(try decoder.decode(buffer: &buffer) == .simpleString("OK"))
        #expect(buffer.readableBytes == 10)
        #expect(try decoder.decode(buffer: &buffer) == .integer(1))
        #expect(try decoder.decode(buffer: &buffer) == nil)
        #expect(buffer.readableBytes == 6)
        buffer.writeString("c\r\n")
        #expect(try decoder.decode(buffer: &buffer) == Self.bulk("abc"))
        #expect(try decoder.decodeLast(buffer: &buffer, seenEOF: true) == nil)
    }

    @Test func bulkStringIsASliceThatOutlivesTheBuffer() throws {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer(string: "$3\r\nabc\r\n+x\r\n")
        let value = try #require(try decoder.decode(buffer: &buffer))
        buffer.clear()
        buffer.writeString("zzzzzzzzzzzzz")
        #expect(value == Self.bulk("abc"))
    }

    // MARK: Malformed input

    struct Malformed: CustomTestStringConvertible, Sendable {
        let wire: String
        let code: RESPProtocolError.Code
        var testDescription: String { "\(self.wire.debugDescription) → \(self.code)" }
    }

    static let malformed: [Malformed] = [
        Malformed(wire: "?\r\n", code: .unknownType),
        Malformed(wire: "*1\r\n@x\r\n", code: .unknownType),
        Malformed(wire: "\r\n", code: .unknownType),
        Malformed(wire: "$abc\r\n", code: .badLength),
        Malformed(wire: "$-2\r\n", code: .badLength),
        Malformed(wire: "$\r\n", code: .badLength),
        Malformed(wire: "$+3\r\nabc\r\n", code: .badLength),
        Malformed(wire: "*-2\r\n", code: .badLength),
        Malformed(wire: "*x\r\n", code: .badLength),
        Malformed(wire: "%-1\r\n", code: .badLength),
        Malformed(wire: "!-1\r\n", code: .badLength),
        Malformed(wire: "$99999999999999999999\r\n", code: .badLength),
        Malformed(wire: "$123456789012345678901234567890", code: .badLength),
        Malformed(wire: "+OK\rX", code: .missingCRLF),
        Malformed(wire: "$3\r\nabcde\r\n", code: .missingCRLF),
        Malformed(wire: "$3\r\nabc\n\r", code: .missingCRLF),
        Malformed(wire: "_x\r\n", code: .missingCRLF),
        Malformed(wire: "_\rx", code: .missingCRLF),
        Malformed(wire: ":9223372036854775808\r\n", code: .invalidInteger),
        Malformed(wire: ":-9223372036854775809\r\n", code: .invalidInteger),
        Malformed(wire: ":99999999999999999999999\r\n", code: .invalidInteger),
        Malformed(wire: ":12a\r\n", code: .invalidInteger),
        Malformed(wire: ":\r\n", code: .invalidInteger),
        Malformed(wire: ":-\r\n", code: .invalidInteger),
        Malformed(wire: ",abc\r\n", code: .invalidDouble),
        Malformed(wire: ",0x10\r\n", code: .invalidDouble),
        Malformed(wire: ",infinity\r\n", code: .invalidDouble),
        Malformed(wire: ",\r\n", code: .invalidDouble),
        Malformed(wire: "#x\r\n", code: .invalidBoolean),
        Malformed(wire: "#tt\r\n", code: .invalidBoolean),
        Malformed(wire: "(12a\r\n", code: .invalidBigNumber),
        Malformed(wire: "(\r\n", code: .invalidBigNumber),
        Malformed(wire: "=3\r\ntxt\r\n", code: .invalidVerbatimString),
        Malformed(wire: "=5\r\ntxt-x\r\n", code: .invalidVerbatimString),
        Malformed(wire: String(repeating: "*1\r\n", count: 33) + ":1\r\n", code: .tooDeep),
        Malformed(wire: String(repeating: "%1\r\n+k\r\n", count: 33) + ":1\r\n", code: .tooDeep),
        Malformed(wire: String(repeating: "|1\r\n+k\r\n", count: 40) + ":1\r\n", code: .tooDeep),
        Malformed(wire: "$67108865\r\n", code: .bulkTooLong),
        Malformed(wire: "!67108865\r\n", code: .bulkTooLong),
        Malformed(wire: "*1048577\r\n", code: .aggregateTooLarge),
        Malformed(wire: "~1048577\r\n", code: .aggregateTooLarge),
        Malformed(wire: ">1048577\r\n", code: .aggregateTooLarge),
        Malformed(wire: "%1048577\r\n", code: .aggregateTooLarge),
        Malformed(wire: "|1048577\r\n", code: .aggregateTooLarge),
    ]

    @Test("rejects malformed input", arguments: malformed)
    func rejectsMalformedInput(_ input: Malformed) throws {
        let error = #expect(throws: RESPProtocolError.self) { try Self.decodeAll(Array(input.wire.utf8)) }
        #expect(error?.code == input.code, "\(String(describing: error))")
    }

    @Test("rejects malformed input fed one byte at a time, at the same point", arguments: malformed)
    func rejectsMalformedInputByteByByte(_ input: Malformed) throws {
        let whole = #expect(throws: RESPProtocolError.self) { try Self.decodeAll(Array(input.wire.utf8)) }
        var decoder = RESPDecoder()
        var buffer = ByteBuffer()
        let error = #expect(throws: RESPProtocolError.self) {
            for byte in input.wire.utf8 {
                buffer.writeInteger(byte)
                _ = try decoder.decode(buffer: &buffer)
            }
        }
        #expect(error == whole)
    }

    @Test func errorMessagesSayWhatWasWrong() throws {
        let unknown = #expect(throws: RESPProtocolError.self) { try Self.decodeOne("?") }
        #expect(unknown?.message == "unknown type byte 0x3f at offset 0")
        let deep = #expect(throws: RESPProtocolError.self) { try Self.decodeOne(String(repeating: "*1\r\n", count: 33)) }
        #expect(deep?.message == "nesting deeper than 32")
        let bulk = #expect(throws: RESPProtocolError.self) { try Self.decodeOne("$67108865\r\n") }
        #expect(bulk?.message == "bulk string of 67108865 bytes exceeds limit 67108864")
        let length = #expect(throws: RESPProtocolError.self) { try Self.decodeOne("$abc\r\n") }
        #expect(length?.message == "bad length \"abc\" at offset 1")
    }

    @Test func lineWithoutCRLFWithinTheLimitThrows() throws {
        let limits = RESPDecoderLimits(maxLineLength: 16)
        // 16 bytes and no CR yet: may still end in CRLF.
        #expect(try Self.decodeOne("+" + String(repeating: "a", count: 16), limits: limits) == nil)
        #expect(
            try Self.decodeOne("+" + String(repeating: "a", count: 16) + "\r\n", limits: limits) == .simpleString(String(repeating: "a", count: 16))
        )
        // 17 bytes and no CR: over the limit.
        for type in ["+", "-", ":", ",", "(", "#"] {
            let error = #expect(throws: RESPProtocolError.self) { try Self.decodeOne(type + String(repeating: "a", count: 17), limits: limits) }
            #expect(error?.code == .lineTooLong)
        }
        // The default limit stops an endless line of garbage at 64 KiB.
        let garbage = "+" + String(repeating: "x", count: 64 * 1024 + 1)
        let error = #expect(throws: RESPProtocolError.self) { try Self.decodeOne(garbage) }
        #expect(error?.code == .lineTooLong)
        #expect(try Self.decodeOne(String(garbage.dropLast())) == nil)
    }

    @Test func customLimitsApply() throws {
        let limits = RESPDecoderLimits(maxDepth: 2, maxBulkLength: 4, maxAggregateCount: 3)
        #expect(try Self.decodeOne("$4\r\nabcd\r\n", limits: limits) == Self.bulk("abcd"))
        #expect(throws: RESPProtocolError.self) { try Self.decodeOne("$5\r\n", limits: limits) }
        #expect(throws: RESPProtocolError.self) { try Self.decodeOne("=5\r\n", limits: limits) }
        #expect(try Self.decodeOne("*3\r\n:1\r\n:2\r\n:3\r\n", limits: limits) == .array([.integer(1), .integer(2), .integer(3)]))
        #expect(throws: RESPProtocolError.self) { try Self.decodeOne("*4\r\n", limits: limits) }
        #expect(try Self.decodeOne("*1\r\n*0\r\n", limits: limits) == .array([.array([])]))
        #expect(throws: RESPProtocolError.self) { try Self.decodeOne("*1\r\n*1\r\n*0\r\n", limits: limits) }
    }

    @Test func hugeAggregateCountWithFewBytesNeitherAllocatesNorFails() throws {
        let limits = RESPDecoderLimits(maxAggregateCount: .max)
        #expect(try Self.decodeOne("*1000000000\r\n:1\r\n", limits: limits) == nil)
        #expect(try Self.decodeOne("%9000000000000000000\r\n:1\r\n", limits: limits) == nil)
        #expect(try Self.decodeOne("|9000000000000000000\r\n:1\r\n", limits: limits) == nil)
        let error = #expect(throws: RESPProtocolError.self) { try Self.decodeOne("*1000000000\r\n:1\r\n") }
        #expect(error?.code == .aggregateTooLarge)
    }
}
