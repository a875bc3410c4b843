import Foundation
import Testing

@testable import TicketCore

@Suite struct IdentifierTests {
    @Test(arguments: ["1", "summer-fest_2026", String(repeating: "a", count: 64)])
    func validEventIDs(_ text: String) {
        #expect(EventID(text)?.rawValue == text)
    }

    @Test(arguments: ["", "a{b}", "a:b", "a b", "ä", "%00", "a\u{0}", "../x", String(repeating: "a", count: 65)])
    func invalidEventIDs(_ text: String) {
        #expect(EventID(text) == nil)
    }

    @Test func eventIDsSortNumbersByValue() {
        let ids = ["10", "2", "b", "1", "a"].compactMap(EventID.init).sorted().map(\.rawValue)
        #expect(ids == ["1", "2", "10", "a", "b"])
    }

    @Test func userIDsAllowMailLikeNamesButNoSpaces() {
        #expect(UserID("zoe.nunez+tickets@example.com") != nil)
        #expect(UserID("user:42") != nil)
        #expect(UserID("a b") == nil)
        #expect(UserID("") == nil)
        #expect(UserID(String(repeating: "u", count: 129)) == nil)
    }

    @Test func idempotencyKeysArePrintableASCII() {
        #expect(IdempotencyKey("3f2b9c1e-0d7a-4e0b-9f00-6a1d2e3c4b5a") != nil)
        #expect(IdempotencyKey("with space") == nil)
        #expect(IdempotencyKey(String(repeating: "k", count: 256)) == nil)
    }

    @Test func purchaseIDsAreTwentySixBase32Characters() {
        let ids = (0..<1000).map { _ in PurchaseID.random() }
        #expect(Set(ids).count == 1000)
        for id in ids { #expect(PurchaseID(id.rawValue) == id) }
        #expect(PurchaseID("0123456789abcdefghjkmnpqrs") != nil)
        #expect(PurchaseID("0123456789abcdefghjkmnpqri") == nil, "i is not in the alphabet")
        #expect(PurchaseID("short") == nil)
    }

    @Test func randomPurchaseIDsStayDistinctAcrossTheirPoolsBlocks() async {
        // 16 bytes an id: 20,000 ids take some 78 blocks of 4096 bytes, from two tasks at once.
        let ids = await withTaskGroup(of: [PurchaseID].self) { group in
            for _ in 0..<2 { group.addTask { (0..<10_000).map { _ in PurchaseID.random() } } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(ids).count == 20_000)
        // Every character of the alphabet turns up in every position but the last (which carries 3 bits): the ids
        // are not stuck on a part of a block.
        for position in 0..<(PurchaseID.length - 1) {
            let characters = Set(ids.map { Array($0.rawValue.utf8)[position] })
            #expect(characters.count == 32, "position \(position): \(characters.count) characters")
        }
    }

    @Test func derivedPurchaseIDsDependOnEventUserAndKey() throws {
        let event = try #require(EventID("1"))
        let other = try #require(EventID("2"))
        let key = try #require(IdempotencyKey("k-1"))
        let alice = UserID("alice")
        let first = PurchaseID.derived(event: event, user: alice, key: key)
        #expect(PurchaseID.derived(event: event, user: alice, key: key) == first)
        #expect(PurchaseID.derived(event: event, user: UserID("bob"), key: key) != first)
        #expect(PurchaseID.derived(event: event, user: nil, key: key) != first)
        #expect(PurchaseID.derived(event: other, user: alice, key: key) != first)
        #expect(PurchaseID(first.rawValue) == first)
        // Known answers (SHA-256 and HMAC-SHA-256 of "1\0alice\0k-1\0", computed apart): ids are kept in ledgers and
        // journals, so a retry after an upgrade must get the id it got before.
        #expect(first.rawValue == "cskazw00v2tv5qjs8k6fcyw9er")

        let secret = try #require(TicketSigningKey(String(repeating: "a", count: 16)))
        let keyed = PurchaseID.derived(event: event, user: alice, key: key, secret: secret)
        #expect(PurchaseID.derived(event: event, user: alice, key: key, secret: secret) == keyed, "the same on every instance")
        #expect(keyed != first, "not the plain hash")
        #expect(keyed.rawValue == "hjfse0vge1ej15awxd0nc8jg4c")
        let otherSecret = try #require(TicketSigningKey(String(repeating: "b", count: 16)))
        #expect(PurchaseID.derived(event: event, user: alice, key: key, secret: otherSecret) != keyed)
    }
}

@Suite struct ValidatedIdentifierCodingTests {
    struct Holder: Codable, Equatable {
        var event: EventID
        var user: UserID?
    }

    @Test func identifiersTravelAsPlainStringsAndAreCheckedOnTheWayIn() throws {
        let holder = Holder(event: EventID("42")!, user: UserID("alice"))
        let json = try JSONEncoder().encode(holder)
        #expect(String(decoding: json, as: UTF8.self).contains(#""event":"42""#))
        #expect(try JSONDecoder().decode(Holder.self, from: json) == holder)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Holder.self, from: Data(#"{"event":"a{b}"}"#.utf8))
        }
    }
}
