import Testing
import TicketCore

struct AnsweredPurchaseTests {
    @Test func aLineIsReadWithOrWithoutACarriageReturn() {
        let expected = AnsweredPurchase(eventID: EventID("1")!, purchaseID: "p1", ticketID: "42")
        #expect(AnsweredPurchase(line: "1\tp1\t42") == expected)
        // A file written with CRLF line ends was refused (exit status 64; found by black-box testing).
        #expect(AnsweredPurchase(line: "1\tp1\t42\r") == expected)
        #expect(AnsweredPurchase(line: "1 p1 42") == nil)
        #expect(AnsweredPurchase(line: "1\tp1") == nil)
        #expect(AnsweredPurchase(line: "1\t\t42") == nil)
        #expect(AnsweredPurchase(line: "1}\tp1\t42") == nil)
    }
}
