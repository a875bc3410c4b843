import TicketCore

extension FallbackTicketStore: PurchaseLedger {
    /// A fallback sale not yet settled answers from the journal, so its ticket renders and verifies while Redis is
    /// away; any other purchase is looked up in Redis's ledger.
    public func purchase(_ id: PurchaseID) async throws(TicketStoreError) -> Purchase? {
        if let sale = self.unsettledSale(id) { return sale }
        return try await self.redis.purchase(id)
    }

    /// Redis's ledger: fallback sales join it when they are settled (and were queued for their PDF when sold).
    public func purchases(of event: EventID, from cursor: LedgerPage.Cursor) async throws(TicketStoreError) -> LedgerPage {
        try await self.redis.purchases(of: event, from: cursor)
    }
}
