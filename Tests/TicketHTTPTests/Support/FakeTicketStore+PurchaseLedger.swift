import TicketCore

extension FakeTicketStore: PurchaseLedger {
    func purchase(_ id: PurchaseID) async throws(TicketStoreError) -> Purchase? {
        let result: Result<Purchase?, TicketStoreError> = self.read { state in
            if let failure = state.readFailure { return .failure(failure) }
            return .success(state.purchases[id])
        }
        return try result.get()
    }

    /// The whole ledger of the event in one page.
    func purchases(of event: EventID, from cursor: LedgerPage.Cursor) async throws(TicketStoreError) -> LedgerPage {
        LedgerPage(purchases: self.read { $0.purchases.values.filter { $0.eventID == event } }, next: nil)
    }
}
