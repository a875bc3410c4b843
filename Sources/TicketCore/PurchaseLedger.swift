/// Reads the purchase ledger: the record of every sale, from which everything else about a ticket (its PDF, its
/// verification at the gate) is derived.
public protocol PurchaseLedger: Sendable {
    /// The purchase with this id, in whichever event it was made, or `nil` when there is none.
    /// - Throws: ``TicketStoreError`` when the store cannot be read.
    func purchase(_ id: PurchaseID) async throws(TicketStoreError) -> Purchase?

    /// One page of an event's ledger, in no particular order. Start with ``LedgerPage/Cursor/start`` and follow
    /// ``LedgerPage/next`` until it is `nil`; every purchase made before the first call is listed at least once.
    /// - Throws: ``TicketStoreError`` when the store cannot be read.
    func purchases(of event: EventID, from cursor: LedgerPage.Cursor) async throws(TicketStoreError) -> LedgerPage
}

/// A page of one event's purchases, and where the next one starts.
public struct LedgerPage: Sendable, Hashable {
    /// Where a page starts: an opaque position in the ledger.
    public struct Cursor: Sendable, Hashable {
        /// The store's own position.
        public let position: String
        /// Creates a cursor from a store's position.
        public init(position: String) { self.position = position }
        /// The beginning of the ledger.
        public static let start = Cursor(position: "0")
    }

    /// The purchases on this page.
    public var purchases: [Purchase]
    /// Where the next page starts, or `nil` after the last page.
    public var next: Cursor?

    /// Creates a page.
    public init(purchases: [Purchase], next: Cursor?) {
        self.purchases = purchases
        self.next = next
    }
}
