import TicketCore

/// One stripe of an event: a part of its pool with a ledger of its own, under a hash tag of its own.
///
/// An event seeded with K stripes keeps its tickets in K pools so that a hot event can use K Redis Cluster shards:
/// stripe 0 is the event's ordinary keyspace, `event:{ID}:…`, and stripe k ≥ 1 is `event:{ID#k}:…` (an event id
/// never holds `#`, so no event's keys are another's stripe). Ticket t of the event lives in stripe (t − 1) mod K.
/// Stripe 0's description (`event:{ID}:meta`) says how many stripes there are; an event without the field has one.
struct EventStripe: Sendable, Hashable {
    /// The event.
    let eventID: EventID
    /// Which stripe, from 0.
    let index: Int

    /// The hash tag of this stripe's keys, without the braces.
    var hashTag: String { self.index == 0 ? self.eventID.rawValue : "\(self.eventID.rawValue)#\(self.index)" }

    /// The stripe where a purchase starts looking for a ticket when its event has `stripes` stripes.
    ///
    /// A function of the purchase id alone, the same on every instance, so that a repeat of an `Idempotency-Key`
    /// asks the stripes in the same order as the first request. FNV-1a, not `Hasher`, whose seed changes per process.
    static func first(for purchase: PurchaseID, of event: EventID, stripes: Int) -> EventStripe {
        guard stripes > 1 else { return EventStripe(eventID: event, index: 0) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in purchase.rawValue.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return EventStripe(eventID: event, index: Int(hash % UInt64(stripes)))
    }

    /// The stripes of an event with `count` stripes, from this one on, wrapping around: the order a purchase asks
    /// them in.
    func andTheRest(of count: Int) -> [EventStripe] {
        (0..<count).map { EventStripe(eventID: self.eventID, index: (self.index + $0) % count) }
    }

    /// The stripe of `event`, which has `stripes`, that ticket `ticket` belongs to; stripe 0 for an id that is not a
    /// ticket number.
    static func holding(ticket: String, of event: EventID, stripes: Int) -> EventStripe {
        guard let number = Int(ticket), number > 0 else { return EventStripe(eventID: event, index: 0) }
        return EventStripe(eventID: event, index: (number - 1) % max(stripes, 1))
    }

    /// Every stripe of `event`, which has `count`.
    static func all(of event: EventID, count: Int) -> [EventStripe] {
        (0..<max(count, 1)).map { EventStripe(eventID: event, index: $0) }
    }
}
