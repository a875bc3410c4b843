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
    func events() async throws(TicketStoreError) -> [EventSnapshot]

    /// How the store is doing; never throws, never waits longer than a short probe.
    func health() async -> StoreHealth
}
