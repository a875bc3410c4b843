import Hummingbird
import TicketCore

/// The JSON form of `GET /metrics` (asked for with `Accept: application/json`).
///
/// ```json
/// {"version": "1.0.0", "uptimeSeconds": 12.5,
///  "events": [{"id": "1", "capacity": 100, "available": 98, "sold": 2, …}],
///  "totals": {"capacity": 100, "available": 98, "sold": 2},
///  "purchases": {"purchased": 2, "replayed": 0, "sold_out": 0, …},
///  "requests": 7, "errors": {"404": 1}}
/// ```
///
/// `events` and `totals` are read from the store (all instances); `purchases`, `requests` and `errors` count what
/// this instance answered since it started. When the store does not answer, `events` is empty, `totals` is left
/// out (no count is known, and zeros would read as a sold-out store) and `eventsError` says why; when some events
/// cannot be read (their cluster shard down), `events` and `totals` hold the others and
/// `eventsError` names them.
public struct MetricsSummary: ResponseCodable, Sendable, Hashable {
    /// Sums over every event.
    public struct Totals: Codable, Sendable, Hashable {
        /// Tickets seeded.
        public var capacity: Int
        /// Tickets for sale.
        public var available: Int
        /// Tickets sold.
        public var sold: Int
    }

    /// The running version.
    public var version: String
    /// Seconds since the router was built.
    public var uptimeSeconds: Double
    /// Every event with its counts, from the store.
    public var events: [EventSnapshot]
    /// Why `events` is empty, when the store did not answer, or which events it lacks.
    public var eventsError: String?
    /// Sums over `events`; `nil`, and left out of the JSON, when the store did not answer.
    public var totals: Totals?
    /// This instance's purchase attempts by outcome (`purchased`, `replayed`, `sold_out`, `unknown_event`,
    /// `user_limit`, `unavailable`, `invalid`), every outcome present.
    public var purchases: [String: Int]
    /// Responses this instance sent.
    public var requests: Int
    /// Responses with status 400 or more, by status code.
    public var errors: [String: Int]

    init(version: String, uptimeSeconds: Double, events: [EventSnapshot]?, eventsError: String?, counts: AppMetrics.Counts) {
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.events = events ?? []
        self.eventsError = eventsError
        self.totals = events.map { events in
            Totals(
                capacity: events.reduce(0) { $0 + $1.capacity },
                available: events.reduce(0) { $0 + $1.available },
                sold: events.reduce(0) { $0 + $1.sold }
            )
        }
        var purchases: [String: Int] = [:]
        for outcome in PurchaseOutcome.allCases { purchases[outcome.rawValue] = counts.purchases[outcome, default: 0] }
        self.purchases = purchases
        self.requests = counts.requests
        self.errors = Dictionary(uniqueKeysWithValues: counts.errors.map { (String($0.key), $0.value) })
    }
}
