/// One `POST /buy/:eventId` to send: a fresh purchase, or the repeat of an earlier one.
struct PlannedRequest {
    /// Index into the configuration's events.
    var eventIndex: Int
    /// The buyer, if the run names buyers.
    var user: String?
    /// The `Idempotency-Key`, if the run sends keys.
    var idempotencyKey: String?
    /// For a repeat: the sale it repeats (same event, buyer and key).
    var replayOf: SaleRecord?
}
