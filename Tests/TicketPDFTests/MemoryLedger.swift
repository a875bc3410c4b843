import Synchronization
import TicketCore

/// A store with events and a ledger in memory, paged two purchases at a time, that counts its lookups.
final class MemoryLedger: TicketStore, PurchaseLedger {
    private struct State {
        var events: [EventID: EventSnapshot] = [:]
        var purchases: [EventID: [Purchase]] = [:]
        var unreadable = false
    }

    private let state = Mutex(State())

    /// Adds an event, or replaces its description.
    func add(_ event: EventSnapshot) { self.state.withLock { $0.events[event.id] = event } }

    /// Records a sale.
    func record(_ purchase: Purchase) { self.state.withLock { $0.purchases[purchase.eventID, default: []].append(purchase) } }

    /// Forgets an event's sales, as a reset does.
    func forgetPurchases(of event: EventID) { self.state.withLock { $0.purchases[event] = nil } }

    /// Makes purchase and event lookups fail (Redis down), or work again.
    func setUnreadable(_ unreadable: Bool) { self.state.withLock { $0.unreadable = unreadable } }

    func purchase(_ request: PurchaseRequest) async throws(PurchaseError) -> PurchaseResult {
        throw PurchaseError(.unavailable, "not for sale here")
    }

    func event(_ id: EventID) async throws(TicketStoreError) -> EventSnapshot? {
        let (unreadable, event) = self.state.withLock { ($0.unreadable, $0.events[id]) }
        if unreadable { throw TicketStoreError("the events cannot be read") }
        return event
    }

    func events() async throws(TicketStoreError) -> [EventSnapshot] { self.state.withLock { $0.events.values.sorted { $0.id < $1.id } } }

    func health() async -> StoreHealth { StoreHealth(status: "up") }

    func purchase(_ id: PurchaseID) async throws(TicketStoreError) -> Purchase? {
        let (unreadable, purchase) = self.state.withLock { ($0.unreadable, $0.purchases.values.lazy.flatMap { $0 }.first { $0.purchaseID == id }) }
        if unreadable { throw TicketStoreError("the ledger cannot be read") }
        return purchase
    }

    func purchases(of event: EventID, from cursor: LedgerPage.Cursor) async throws(TicketStoreError) -> LedgerPage {
        let all = self.state.withLock { $0.purchases[event] ?? [] }
        let start = Int(cursor.position) ?? 0
        let end = min(start + 2, all.count)
        return LedgerPage(purchases: Array(all[start..<end]), next: end < all.count ? LedgerPage.Cursor(position: "\(end)") : nil)
    }
}
