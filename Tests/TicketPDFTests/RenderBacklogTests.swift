import Testing
import TicketCore

@testable import TicketPDF

@Suite struct RenderBacklogTests {
    static func purchase(_ number: Int) -> Purchase {
        Purchase(purchaseID: .random(), eventID: EventID("1")!, ticketID: "\(number)", userID: nil, purchasedAt: 0)
    }

    @Test func aStartBeginsWithALedgerScanThenSalesInOrder() async {
        let backlog = RenderBacklog(capacity: 10, scanFirst: true)
        let sales = (1...3).map(Self.purchase)
        for sale in sales { #expect(backlog.submit(TicketSale(sale))) }
        // Queued sales go before the pending scan; the scan comes once.
        #expect(await backlog.next() == .render(TicketSale(sales[0])))
        #expect(await backlog.next() == .render(TicketSale(sales[1])))
        #expect(await backlog.next() == .render(TicketSale(sales[2])))
        #expect(await backlog.next() == .scanLedger)
        #expect(backlog.count == 0)
    }

    @Test func aFullBacklogRefusesTheSaleAndSchedulesAScan() async {
        let backlog = RenderBacklog(capacity: 2, scanFirst: false)
        let sales = (1...3).map(Self.purchase)
        #expect(backlog.submit(TicketSale(sales[0])))
        #expect(backlog.submit(TicketSale(sales[1])))
        #expect(!backlog.submit(TicketSale(sales[2])))
        #expect(await backlog.next() == .render(TicketSale(sales[0])))
        #expect(await backlog.next() == .render(TicketSale(sales[1])))
        #expect(await backlog.next() == .scanLedger, "the refused sale is found by the scan")
    }

    @Test func aPurchaseQueuedTwiceIsRenderedOnce() async {
        let backlog = RenderBacklog(capacity: 10, scanFirst: false)
        let sale = Self.purchase(1)
        backlog.submit(TicketSale(sale))
        backlog.submit(TicketSale(sale))
        #expect(backlog.count == 1)
        #expect(backlog.poll()?.purchase == sale)
        #expect(backlog.poll() == nil)
    }

    @Test func aWaitingDispatcherGetsTheNextSaleOrScan() async {
        let backlog = RenderBacklog(capacity: 10, scanFirst: false)
        let sale = Self.purchase(1)
        async let first = backlog.next()
        // `next()` is parked or not yet called: either way the sale is handed to it.
        backlog.submit(TicketSale(sale))
        #expect(await first == .render(TicketSale(sale)))
        async let second = backlog.next()
        backlog.requestScan()
        #expect(await second == .scanLedger)
    }

    @Test func finishingWakesTheDispatcherWithNothing() async {
        let backlog = RenderBacklog(capacity: 10, scanFirst: false)
        async let waiting = backlog.next()
        backlog.finish()
        #expect(await waiting == nil)
        #expect(!backlog.submit(TicketSale(Self.purchase(1))))
    }

    /// A stopping service renders no more: what is queued stays for the next start's ledger scan, instead of being
    /// handed to render threads that are stopping (each of which failed, and logged an error, before).
    @Test func aFinishedBacklogHandsOutNothingMoreEvenWithSalesQueued() async {
        let backlog = RenderBacklog(capacity: 10, scanFirst: false)
        for number in 1...3 { backlog.submit(TicketSale(Self.purchase(number))) }
        backlog.finish()
        #expect(await backlog.next() == nil)
        #expect(backlog.poll() == nil)
        #expect(backlog.count == 3)
    }

    @Test func cancellingTheDispatcherEndsItsWait() async {
        let backlog = RenderBacklog(capacity: 10, scanFirst: false)
        let task = Task { await backlog.next() }
        task.cancel()
        #expect(await task.value == nil)
    }
}
