import Foundation
import InMemoryLogging
import Logging
import RedisTestSupport
import Testing
import TicketCore

@testable import TicketPDF

@Suite final class TicketPDFServiceTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ticket-service-\(UUID().uuidString)").path
    let ledger = MemoryLedger()
    let key = TicketSigningKey("service tests signing key")!

    init() {
        self.ledger.add(
            EventSnapshot(
                id: EventID("1")!,
                name: "Ольга в концерте",
                venue: "Σοφία Hall",
                startsAt: "2026-12-26T20:00:00Z",
                capacity: 100,
                available: 100,
                sold: 0,
                perUserLimit: 0
            )
        )
    }

    deinit { try? FileManager.default.removeItem(atPath: self.directory) }

    func service(
        workers: Int = 2,
        backlogCapacity: Int = 100,
        storageRetryInterval: Duration = .seconds(30),
        logger: Logger = Logger(label: "test.tickets")
    ) throws -> TicketPDFService {
        try TicketPDFService(
            configuration: TicketPDFConfiguration(
                outputDirectory: self.directory,
                workers: workers,
                backlogCapacity: backlogCapacity,
                storageRetryInterval: storageRetryInterval
            ),
            signingKey: self.key,
            store: self.ledger,
            logger: logger
        )
    }

    func sale(_ number: Int) -> Purchase {
        let purchase = Purchase(
            purchaseID: .random(),
            eventID: EventID("1")!,
            ticketID: "\(number)",
            userID: UserID("buyer-\(number)"),
            purchasedAt: 1_795_784_033_340
        )
        self.ledger.record(purchase)
        return purchase
    }

    /// Runs the service while `body` runs, then cancels it and waits for it to stop.
    func whileRunning(_ service: TicketPDFService, _ body: () async throws -> Void) async throws {
        let running = Task { try await service.run() }
        do {
            try await body()
        } catch {
            running.cancel()
            _ = await running.result
            throw error
        }
        running.cancel()
        try await running.value
    }

    @Test func purchasesWithoutATicketWhenTheServiceStartsAreRendered() async throws {
        // As after a crash: the ledger has sales, the disk has none of their tickets.
        let sales = (1...7).map(self.sale)
        let service = try self.service()
        try await self.whileRunning(service) {
            try await waitUntil(timeout: .seconds(30), "the backlog is rendered") {
                sales.allSatisfy { service.archive.contains($0.purchaseID) }
            }
        }
    }

    @Test func salesAreRenderedInTheBackgroundEvenWhenTheQueueOverflows() async throws {
        let service = try self.service(workers: 1, backlogCapacity: 2)
        try await self.whileRunning(service) {
            let sales = (1...12).map(self.sale)
            for sale in sales { service.ticketSold(sale) }
            try await waitUntil(timeout: .seconds(30), "every sale has its ticket") {
                sales.allSatisfy { service.archive.contains($0.purchaseID) }
            }
            let statistics = try await service.currentStatistics()
            #expect(statistics.files == 12 && statistics.failed == 0 && statistics.workers == 1)
            #expect(statistics.renderP50 != nil && statistics.renderP99 != nil)
        }
    }

    /// Black-box testing filled the disk under 3,085 sales: 3,032 tickets failed to store and never came, after the
    /// disk was freed, until a restart; a download meanwhile was a 500. Now a download is served without storing,
    /// and while storing fails the ledger is scanned again, so the tickets come once it works.
    @Test func ticketsThatCouldNotBeStoredComeOnceTheyCanBe() async throws {
        let service = try self.service(workers: 1, storageRetryInterval: .milliseconds(100))
        try await self.whileRunning(service) {
            // Nothing can be stored under a ticket directory that is a file.
            try? FileManager.default.removeItem(atPath: self.directory)
            try Data().write(to: URL(fileURLWithPath: self.directory))
            let sales = (1...3).map(self.sale)
            for sale in sales { service.ticketSold(sale) }
            try await waitUntil(timeout: .seconds(30), "the background renders fail") { service.statistics.snapshot(quantiles: []).failed >= 3 }
            let pdf = try #require(try await service.ticket(for: sales[0].purchaseID))
            #expect(pdf.starts(with: Array("%PDF".utf8)))
            #expect(!service.archive.contains(sales[0].purchaseID))
            // Served, not stored: not counted as rendered and stored (black-box testing saw it counted so).
            #expect(service.statistics.snapshot(quantiles: []).rendered == 0)

            try FileManager.default.removeItem(atPath: self.directory)
            try await waitUntil(timeout: .seconds(30), "every ticket stored") { sales.allSatisfy { service.archive.contains($0.purchaseID) } }
        }
    }

    /// A sale rendered while the store cannot be read (a fallback sale during an outage) is logged as a notice, not
    /// an error: an outage made an error line per sale, and nothing is lost, since a download renders the ticket
    /// once the store answers.
    @Test func aTicketThatCannotBeRenderedWhileTheStoreIsDownIsANoticeAndComesWithADownload() async throws {
        let log = InMemoryLogHandler()
        let service = try self.service(workers: 1, logger: Logger(label: "test.tickets") { _ in log })
        let before = self.sale(1)
        try await self.whileRunning(service) {
            // The start's ledger scan renders the sale before; once it has, the store goes down. The sale is of an
            // event not read yet (the service keeps an event it read for a while).
            try await waitUntil(timeout: .seconds(30), "the start's ledger scan") { service.archive.contains(before.purchaseID) }
            self.ledger.add(
                EventSnapshot(id: EventID("2")!, name: "B", venue: nil, startsAt: nil, capacity: 1, available: 0, sold: 1, perUserLimit: 0)
            )
            let sale = Purchase(purchaseID: .random(), eventID: EventID("2")!, ticketID: "1", userID: nil, purchasedAt: 1_795_784_033_340)
            self.ledger.record(sale)
            self.ledger.setUnreadable(true)
            service.ticketSold(sale)
            try await waitUntil(timeout: .seconds(30), "the render failure is logged") {
                log.entries.contains { $0.message.description == "could not render a ticket" }
            }
            #expect(log.entries.filter { $0.message.description == "could not render a ticket" }.map(\.level) == [.notice])
            self.ledger.setUnreadable(false)
            let pdf = try #require(try await service.ticket(for: sale.purchaseID))
            #expect(pdf.starts(with: Array("%PDF".utf8)))
        }
    }

    @Test func aReplacedPurchaseIsRenderedAgainOverItsOldTicket() async throws {
        let service = try self.service(workers: 0)
        let first = self.sale(7)
        try await self.whileRunning(service) {
            let old = try #require(try await service.ticket(for: first.purchaseID))
            // Settling kept another ticket for the same purchase id: the file showing ticket 7 must go.
            var replaced = first
            replaced.ticketID = "8"
            self.ledger.forgetPurchases(of: first.eventID)
            self.ledger.record(replaced)
            await service.purchaseReplaced(replaced)
            let now = try #require(try service.archive.read(first.purchaseID))
            #expect(now != old)
            #expect(try await service.ticket(for: first.purchaseID) == now, "served from the new file")
        }
    }

    /// After a reset, a purchase id derived from an `Idempotency-Key` comes back for another ticket: its stored
    /// file, showing the old ticket, was served. A ticket that is not the ledger's sale is rendered anew.
    @Test func aStoredTicketOfAnotherSaleUnderTheSamePurchaseIDIsRenderedAnew() async throws {
        let service = try self.service(workers: 0)
        let before = self.sale(3)
        try await self.whileRunning(service) {
            let old = try #require(try await service.ticket(for: before.purchaseID))
            var after = before
            after.ticketID = "9"
            after.purchasedAt += 60_000
            self.ledger.forgetPurchases(of: before.eventID)
            self.ledger.record(after)
            let now = try #require(try await service.ticket(for: before.purchaseID))
            let token = TicketToken(purchase: after).signed(with: self.key)
            #expect(TicketRenderer.holds(token: token, now) && !TicketRenderer.holds(token: token, old))
            #expect(try service.archive.read(before.purchaseID) == now, "stored over the old one")
        }
    }

    @Test func aStoredTicketIsServedWhileTheLedgerHoldsItsPurchaseOrCannotBeRead() async throws {
        let service = try self.service(workers: 0)
        let sale = self.sale(5)
        try await self.whileRunning(service) {
            let pdf = try #require(try await service.ticket(for: sale.purchaseID))
            self.ledger.setUnreadable(true)
            #expect(try await service.ticket(for: sale.purchaseID) == pdf, "Redis down: served as stored")
            self.ledger.setUnreadable(false)
            // The event is reset: its purchases are gone, and so is the ticket.
            self.ledger.forgetPurchases(of: sale.eventID)
            #expect(try await service.ticket(for: sale.purchaseID) == nil)
            #expect(!service.archive.contains(sale.purchaseID))
        }
    }

    @Test func aTicketShowsTheEventAsReadLessThanTheEventLifetimeAgo() async throws {
        var configuration = TicketPDFConfiguration(outputDirectory: self.directory, workers: 0)
        configuration.eventLifetime = .zero
        let service = try TicketPDFService(configuration: configuration, signingKey: self.key, store: self.ledger, logger: Logger(label: "test"))
        let before = self.sale(1)
        try await self.whileRunning(service) {
            _ = try await service.ticket(for: before.purchaseID)
            // Reseeded under another name and venue.
            self.ledger.add(
                EventSnapshot(
                    id: EventID("1")!,
                    name: "New Year Gala",
                    venue: "Harbour Hall",
                    startsAt: "2026-12-31T20:00:00Z",
                    capacity: 100,
                    available: 100,
                    sold: 0,
                    perUserLimit: 0
                )
            )
            let after = self.sale(2)
            _ = try await service.ticket(for: after.purchaseID)
            let text = try await ExternalTool.text(ofPDF: service.archive.path(of: after.purchaseID))
            #expect(text.contains("New Year Gala") && text.contains("Harbour Hall"), "\(text)")
        }
    }

    @Test func aDownloadRendersOnDemandAndTheTicketCarriesAValidToken() async throws {
        let service = try self.service(workers: 0)
        let sale = self.sale(42)
        try await self.whileRunning(service) {
            #expect(!service.archive.contains(sale.purchaseID), "no background rendering with 0 workers")
            let pdf = try #require(try await service.ticket(for: sale.purchaseID))
            #expect(service.archive.contains(sale.purchaseID))
            #expect(try await service.ticket(for: sale.purchaseID) == pdf, "served from the file")
            #expect(try await service.ticket(for: .random()) == nil)

            let path = service.archive.path(of: sale.purchaseID)
            let text = try await ExternalTool.text(ofPDF: path)
            for field in [
                "Ольга в концерте", "Σοφία Hall", "2026-12-26 20:00 UTC", "42", "buyer-42", sale.purchaseID.rawValue, "2026-11-27 12:53:53 UTC",
            ] {
                #expect(text.contains(field), "\(field) in:\n\(text)")
            }
            let token = try #require(try await ExternalTool.qrCodes(inPDF: path).first)
            #expect(try await service.verifier.verify(token) == .valid(sale))

            let cleaned = try await service.cleanUp(maxAge: .zero)
            #expect(cleaned.deleted == 1 && !service.archive.contains(sale.purchaseID))
            #expect(try await service.ticket(for: sale.purchaseID) == pdf, "rendered again, the same ticket")
        }
    }
}
