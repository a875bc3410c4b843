import Testing

@testable import TicketCore

@Suite struct TicketTokenTests {
    let key = TicketSigningKey("a test key that is long enough")!
    let token = TicketToken(purchaseID: PurchaseID("acks58z8q1sy3dv7wj733f3krm")!, ticketID: "42", eventID: EventID("summer-fest")!)

    @Test func aSignedTokenVerifiesToTheSameTicket() throws {
        let text = self.token.signed(with: self.key)
        #expect(try TicketToken(verifying: text, with: self.key) == self.token)
        #expect(text.utf8.allSatisfy { $0 == UInt8(ascii: ".") || $0.isBase64URL })
        #expect(text.count < 120, "compact: \(text.count) characters")
    }

    @Test func everyChangedCharacterMakesItInvalid() {
        let text = Array(self.token.signed(with: self.key))
        for index in text.indices {
            for replacement in ["A", "b", "-", "_", "."] where String(text[index]) != replacement {
                var tampered = text
                tampered[index] = Character(replacement)
                #expect(throws: TicketTokenError.self, "changed at \(index) to \(replacement)") {
                    try TicketToken(verifying: String(tampered), with: self.key)
                }
            }
        }
    }

    @Test func anotherKeyIsABadSignature() {
        let other = TicketSigningKey("another key that is long enough")!
        #expect(
            performing: { try TicketToken(verifying: self.token.signed(with: other), with: self.key) },
            throws: { error in
                (error as? TicketTokenError)?.code == .badSignature
            }
        )
    }

    @Test(arguments: ["", ".", "abc", "a.b.c", "not base64!.x", String(repeating: "A", count: 600)])
    func malformedTokensAreRefused(_ text: String) {
        #expect(
            performing: { try TicketToken(verifying: text, with: self.key) },
            throws: { error in
                (error as? TicketTokenError)?.code == .malformed
            }
        )
    }

    @Test func aSignedPayloadThatIsNotATicketIsMalformed() {
        // Signed with the right key, but not a version 1 payload: still refused.
        let signed = TicketToken.compact(payload: Array("2 1 1 acks58z8q1sy3dv7wj733f3krm".utf8), key: self.key)
        #expect(
            performing: { try TicketToken(verifying: signed, with: self.key) },
            throws: { error in
                (error as? TicketTokenError)?.code == .malformed
            }
        )
    }

    @Test func shortKeysAreRefused() {
        #expect(TicketSigningKey("short") == nil)
        #expect("\(self.key)" == "TicketSigningKey(redacted)")
    }

    @Test func base64URLRoundTripsAndIsCanonical() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64URL.decode(Substring(Base64URL.encode(bytes))) == bytes)
        }
        #expect(Base64URL.encode(Array("f".utf8)) == "Zg")
        #expect(Base64URL.decode("Zh") == nil, "non-zero padding bits")
        #expect(Base64URL.decode("Z") == nil)
        #expect(Base64URL.decode("Zg==") == nil)
    }
}

extension UInt8 {
    fileprivate var isBase64URL: Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || self == UInt8(ascii: "-") || self == UInt8(ascii: "_")
    }
}
