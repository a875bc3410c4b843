/// The fallback's admin operations, for `POST /admin/seed-fallback` and `POST /admin/escrow/release`.
public protocol FallbackAdministration: Sendable {
    /// Settles this instance's journal if it can and tops its escrow up now, rather than at the next refresh.
    /// - Returns: the fallback's status afterwards.
    /// - Throws: ``TicketStoreError`` when Redis cannot be reached (the escrow is then whatever it was).
    func seedFallback() async throws(TicketStoreError) -> FallbackStatus

    /// Gives the escrow of another, gone instance back to the pool, on purpose.
    ///
    /// Without `force` it is refused (``EscrowRelease/released`` `false`, with the reason) unless Redis's record
    /// of that instance shows a settled journal at a time after which it cannot have sold from its escrow; with
    /// `force` the escrow goes back whatever the record says, and any unsettled sale of that instance may be sold
    /// a second time.
    /// - Throws: ``TicketStoreError`` when Redis cannot be reached.
    func releaseEscrow(of instance: InstanceID, force: Bool) async throws(TicketStoreError) -> EscrowRelease
}
