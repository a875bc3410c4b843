import Foundation
import RedisTestSupport
import Testing
import TicketCore

@testable import TicketPDF

@Suite final class TicketRendererTests {
    let renderer: TicketRenderer
    let key = TicketSigningKey("renderer tests signing key")!
    let directory: String

    init() throws {
        self.renderer = try TicketRenderer()
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("ticket-pdf-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: self.directory) }

    func content(buyer: String, eventName: String = "Summer Fest 2026", venue: String? = "Hall 7") -> TicketContent {
        let token = TicketToken(purchaseID: PurchaseID("acks58z8q1sy3dv7wj733f3krm")!, ticketID: "4711", eventID: EventID("summer")!)
        return TicketContent(
            eventName: eventName,
            venue: venue,
            startsAt: "2026-12-26 20:00 UTC",
            eventID: "summer",
            ticketID: "4711",
            purchaseID: "acks58z8q1sy3dv7wj733f3krm",
            buyer: buyer,
            purchasedAt: "2026-11-26 12:53:53 UTC",
            token: token.signed(with: self.key)
        )
    }

    func write(_ bytes: [UInt8], name: String) throws -> String {
        let path = self.directory + "/" + name + ".pdf"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: ["Zoë Ñúñez", "Ольга Петрова", "Σοφία Παπαδοπούλου", "alice"])
    func pdftotextFindsEveryField(_ buyer: String) async throws {
        let content = self.content(buyer: buyer, eventName: "Концерт · Συναυλία · Café")
        let pdf = try self.renderer.render(content)
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
        let text = try await ExternalTool.text(ofPDF: try self.write(pdf, name: "fields"))
        for field in [
            buyer, content.eventName, "Hall 7", "2026-12-26 20:00 UTC", "4711", "acks58z8q1sy3dv7wj733f3krm", "2026-11-26 12:53:53 UTC", "summer",
        ] {
            #expect(text.contains(field), "\(field) in:\n\(text)")
        }
    }

    @Test func theQRCodeCarriesATokenThatVerifies() async throws {
        let content = self.content(buyer: "Σοφία")
        let path = try self.write(try self.renderer.render(content), name: "qr")
        let codes = try await ExternalTool.qrCodes(inPDF: path)
        #expect(codes == [content.token])
        let token = try TicketToken(verifying: try #require(codes.first), with: self.key)
        #expect(token.purchaseID.rawValue == "acks58z8q1sy3dv7wj733f3krm" && token.ticketID == "4711" && token.eventID.rawValue == "summer")

        var tampered = Array(try #require(codes.first))
        tampered[5] = tampered[5] == "A" ? "B" : "A"
        #expect(throws: TicketTokenError.self) { try TicketToken(verifying: String(tampered), with: self.key) }
    }

    @Test(arguments: [("李小龍", "U+674E"), ("Ticket 🎫", "U+1F3AB"), ("tab\there", "U+0009"), ("שרה", "U+05E9")])
    func aCharacterTheFontLacksIsReportedNotGarbled(_ buyer: String, _ code: String) {
        #expect(
            performing: { try self.renderer.render(self.content(buyer: buyer)) },
            throws: { error in
                let error = error as? TicketRenderError
                return error?.code == .unsupportedCharacter && error?.message.contains(code) == true && error?.message.contains("buyer") == true
            }
        )
    }

    @Test func aLatinTicketEmbedsNoFontAndOthersEmbedOnlyTheFaceTheyNeed() throws {
        let latin = try self.renderer.render(self.content(buyer: "Zoë Ñúñez"))
        #expect(!latin.contains(Array("/FontFile2".utf8)), "Base-14 Helvetica only")
        #expect(latin.count < 5_000, "\(latin.count) bytes")
        let cyrillic = try self.renderer.render(self.content(buyer: "Ольга Петрова"))
        #expect(cyrillic.contains(Array("DejaVuSans".utf8)) && !cyrillic.contains(Array("DejaVuSans-Bold".utf8)))
        #expect(cyrillic.count < 12_000, "\(cyrillic.count) bytes")
    }

    @Test func aLongNameIsShrunkOrShortenedToFitThePage() async throws {
        let long = String(repeating: "Extraordinarily Long Festival Name ", count: 6)
        let path = try self.write(try self.renderer.render(self.content(buyer: "bob", eventName: long)), name: "long")
        let text = try await ExternalTool.text(ofPDF: path)
        #expect(text.contains("Extraordinarily Long") && text.contains("…"))
    }

    @Test func theSameTicketRendersToTheSameBytesOnAnyThread() async throws {
        let content = self.content(buyer: "Ольга", venue: nil)
        let first = try self.renderer.render(content)
        let renderer = self.renderer
        let others = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<16 { group.addTask { try renderer.render(content) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(others.allSatisfy { $0 == first })
        #expect(first.count < 25_000, "\(first.count) bytes")
    }

    @Test func aMissingFontIsReportedAtStart() {
        #expect(
            performing: { try TicketRenderer(fonts: .init(regular: "/nonexistent.ttf", bold: "/nonexistent.ttf")) },
            throws: { error in
                (error as? TicketRenderError)?.code == .font
            }
        )
    }
}

@Suite struct TicketContentTests {
    @Test func purchaseTimesPrintInUTC() {
        #expect(TicketContent.printedTime(millis: 0) == "1970-01-01 00:00:00 UTC")
        #expect(TicketContent.printedTime(millis: 1_795_784_033_340) == "2026-11-27 12:53:53 UTC")
        #expect(TicketContent.printedTime(millis: 951_782_400_000) == "2000-02-29 00:00:00 UTC")
    }

    @Test func startTimesPrintWithoutSeconds() {
        #expect(TicketContent.printedStart("2026-12-26T20:00:00Z") == "2026-12-26 20:00 UTC")
        #expect(TicketContent.printedStart("2026-12-26T20:00:00.000Z") == "2026-12-26 20:00 UTC")
        #expect(TicketContent.printedStart("next Friday") == "next Friday")
    }

    @Test func aPurchaseWithoutBuyerOrEventPrintsDefaults() {
        let purchase = Purchase(purchaseID: .random(), eventID: EventID("7")!, ticketID: "9", userID: nil, purchasedAt: 0)
        let content = TicketContent(purchase: purchase, event: nil, token: "t")
        #expect(content.buyer == "anonymous" && content.eventName == "Event 7" && content.venue == nil)
    }
}
