/// Where tickets are sold from: the seam between the HTTP layer and Redis (or a test double).
///
/// The one rule every implementation keeps: a ticket is sold at most once, and a purchase id sells at most
/// one ticket, however often it is retried.
public protocol TicketStore: Sendable {
    /// Sells one ticket, or returns the purchase already made under the request's purchase id.
    /// - Throws: ``PurchaseError``: a refusal that changed nothing, or `unavailable` when nothing was sold.
    func purchase(_ request: PurchaseRequest) async throws(PurchaseError) -> PurchaseResult

    /// One event with its counts, or `nil` if there is no such event.
    func event(_ id: EventID) async throws(TicketStoreError) -> EventSnapshot?

    /// Every event with its counts, ordered by id.
    /// - Throws: ``TicketStoreError`` also when one event cannot be read.
    func events() async throws(TicketStoreError) -> [EventSnapshot]

    /// Every event that can be read now, and those that cannot (their Redis shard down), for a report that shows
    /// what it can: `/metrics`.
    /// - Throws: ``TicketStoreError`` when the events cannot be listed at all.
    func readableEvents() async throws(TicketStoreError) -> EventListing

    /// How the store is doing; never throws, never waits longer than a short probe.
    func health() async -> StoreHealth
}

extension TicketStore {
    /// Every event, for a store whose events are all readable or none is.
    public func readableEvents() async throws(TicketStoreError) -> EventListing {
        EventListing(events: try await self.events())
    }
}
