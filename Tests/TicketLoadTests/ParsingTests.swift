import NIOCore
import Testing

@testable import TicketLoad

/// The small readers: URLs, purchase bodies, the plot's scale.
@Suite struct ParsingTests {
    @Test func urlsNameHostAndPort() throws {
        #expect(try TargetURL("http://localhost:3049").hostHeader == "localhost:3049")
        #expect(try TargetURL("http://127.0.0.1:8080/").port == 8080)
        #expect(try TargetURL("http://example").port == 80)
        let v6 = try TargetURL("http://[::1]:3049")
        #expect(v6.host == "::1")
        #expect(v6.hostHeader == "[::1]:3049")
        #expect(throws: LoadError.self) { try TargetURL("https://localhost:3049") }
        #expect(throws: LoadError.self) { try TargetURL("http://localhost:3049/buy/1") }
        #expect(throws: LoadError.self) { try TargetURL("http://localhost:99999") }
    }

    @Test func purchaseBodiesAreScannedWithOrWithoutSpaces() {
        let compact = ByteBuffer(string: #"{"purchaseId":"abc","eventId":"1","ticketId":"42","userId":null}"#)
        #expect(PurchaseBody(compact) == PurchaseBody(ticketId: "42", purchaseId: "abc", eventId: "1"))
        let spaced = ByteBuffer(string: "{\n  \"ticketId\" : \"7\",\n  \"purchaseId\":  \"x\"\n}")
        #expect(PurchaseBody(spaced) == PurchaseBody(ticketId: "7", purchaseId: "x"))
        let escaped = ByteBuffer(string: #"{"purchaseId":"a\"b","ticketId":"1\/2"}"#)
        #expect(PurchaseBody(escaped) == PurchaseBody(ticketId: "1/2", purchaseId: "a\"b"))
        #expect(PurchaseBody(ByteBuffer(string: #"{"ticketId":"1"}"#)) == nil)
        #expect(PurchaseBody(ByteBuffer(string: "not json")) == nil)
    }

    @Test func plotScalesRoundUp() {
        #expect(LoadPlot.niceCeiling(0) == 1)
        #expect(LoadPlot.niceCeiling(7) == 10)
        #expect(LoadPlot.niceCeiling(1234) == 2000)
        #expect(LoadPlot.niceCeiling(2400) == 2500)
        #expect(LoadPlot.niceCeiling(0.3) == 0.5)
    }

    @Test func optionsThatMakeNoSenseAreRefused() throws {
        var configuration = LoadConfiguration(target: try TargetURL("http://localhost:1"), events: ["1"])
        configuration.replayShare = 1.5
        #expect(throws: LoadError.self) { try configuration.validate() }
        configuration.replayShare = 0
        configuration.stop = .requests(0)
        #expect(throws: LoadError.self) { try configuration.validate() }
    }
}
