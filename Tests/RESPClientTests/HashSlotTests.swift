import Testing

@testable import RESPClient

/// U10: CRC16 and hash tags, against values Redis 7.0.15's `CLUSTER KEYSLOT` gives.
@Suite struct HashSlotTests {
    @Test func crc16OfTheCheckString() {
        #expect(HashSlot.crc16(Array("123456789".utf8)) == 0x31C3)
    }

    @Test(arguments: [
        ("foo", 12182),
        ("{user1000}.following", 3443),
        ("foo{bar}{zap}", 5061),
        ("foo{{bar}}zap", 4015),
        ("foo{}{bar}", 8363),
        ("{}x", 10595),
        ("a{}{b}", 15033),
        ("1", 9842),
        ("event:{1}:tickets", 9842),
        ("", 0),
    ])
    func slot(of key: String, is expected: Int) {
        #expect(Int(HashSlot(key: key).rawValue) == expected)
    }

    @Test func hashTagIsTheFirstNonEmptyBraces() {
        #expect(String(decoding: HashSlot.hashedPart(of: Array("foo{bar}{zap}".utf8)), as: UTF8.self) == "bar")
        #expect(String(decoding: HashSlot.hashedPart(of: Array("foo{{bar}}zap".utf8)), as: UTF8.self) == "{bar")
        #expect(String(decoding: HashSlot.hashedPart(of: Array("foo{}{bar}".utf8)), as: UTF8.self) == "foo{}{bar}")
        #expect(String(decoding: HashSlot.hashedPart(of: Array("foo{bar".utf8)), as: UTF8.self) == "foo{bar")
    }

    @Test func keysOfOneEventShareASlot() {
        #expect(HashSlot(key: "event:{42}:tickets") == HashSlot(key: "event:{42}:meta"))
        #expect(HashSlot(key: "event:{42}:tickets") == HashSlot(key: "42"))
    }
}
