import TicketCore

/// The Redis keys of one event, all under the hash tag `{ID}` so that one script can touch them all, alone or
/// on a Redis Cluster; or of one stripe of a striped event, under `{ID#k}` (see ``EventStripe``). This is the
/// only place that knows key names.
struct EventKeys: Sendable {
    /// `event:{ID}:tickets`: list of unsold ticket ids.
    let tickets: String
    /// `event:{ID}:purchases`: hash purchase id → `"ticket user millis"`, the purchase ledger.
    let purchases: String
    /// `event:{ID}:users`: hash user id → tickets held, kept for an event with a per-user limit.
    let users: String
    /// `event:{ID}:meta`: hash with name, venue, startsAt, capacity, perUserLimit, and `stripes` when striped.
    let meta: String
    /// `event:{ID}:escrows`: set of the instances holding an escrow of the event.
    let escrows: String
    /// `event:{ID}:resetting`: set, with an expiry, while `ticketd seed --reset` waits for the escrows to come back.
    let resetting: String
    private let prefix: String

    /// The keys of `id`, or of its stripe 0 when it is striped: the stripe with its description and escrows.
    init(_ id: EventID) { self.init(EventStripe(eventID: id, index: 0)) }

    /// The keys of one stripe of an event.
    init(_ stripe: EventStripe) {
        // EventID's alphabet has no braces, colons or `#`, so the tag is exactly the id, or the id and the stripe.
        let prefix = "event:{\(stripe.hashTag)}:"
        self.tickets = prefix + "tickets"
        self.purchases = prefix + "purchases"
        self.users = prefix + "users"
        self.meta = prefix + "meta"
        self.escrows = prefix + "escrows"
        self.resetting = prefix + "resetting"
        self.prefix = prefix
    }

    /// `event:{ID}:seeding:{seeder}`: a pool being built by one seeder, published atomically when complete. Each
    /// seeder builds in a key of its own: two seeders of one new event at once (two `make run`s) built into one
    /// key, and the published pool held every ticket twice.
    func seeding(_ seeder: String) -> String { self.prefix + "seeding:" + seeder }

    /// `event:{ID}:escrow:{instance}`: list of the tickets that only `instance` may sell (see `escrow-take.lua`).
    func escrow(_ instance: InstanceID) -> String { self.escrowPrefix + instance.rawValue }

    /// `event:{ID}:selling:{purchase id}`: held while a request sells that purchase id of a striped event (see
    /// ``PurchaseIDLock``).
    func selling(_ purchase: PurchaseID) -> String { self.prefix + "selling:" + purchase.rawValue }

    /// `event:{ID}:escrow:`, the start of every escrow list's key, for scripts that find the instances in `escrows`.
    var escrowPrefix: String { self.prefix + "escrow:" }

    /// The instance whose escrow list `key` is, when it is one of this stripe's.
    func escrowInstance(ofKey key: String) -> String? {
        key.hasPrefix(self.escrowPrefix) ? String(key.dropFirst(self.escrowPrefix.count)) : nil
    }

    /// A glob (`SCAN … MATCH`) for every key of every event.
    static let everyEventKey = "event:{*}:*"

    /// The event whose books `key` is part of (pool, ledger, buyers' counts, description, escrows; of the event, not
    /// of a further stripe); `nil` for any other key, such as a pool being seeded.
    static func bookedEvent(byKey key: String) -> EventID? {
        guard key.hasPrefix("event:{"), let close = key.firstIndex(of: "}") else { return nil }
        let rest = key[close...]
        guard ["}:tickets", "}:purchases", "}:users", "}:meta", "}:escrows"].contains(rest) || rest.hasPrefix("}:escrow:") else { return nil }
        return EventID(String(key[key.index(key.startIndex, offsetBy: "event:{".count)..<close]))
    }

    /// The set of every event id (outside any event's hash tag).
    static let eventIndex = "events"

    /// `fallback:instances`: hash instance id → its last ``InstanceReport`` (outside any event's hash tag).
    static let instanceReports = "fallback:instances"

    /// `fallback:claims`: hash instance id → the fallback directory holding it (see `claim-instance.lua`).
    static let instanceClaims = "fallback:claims"
}
