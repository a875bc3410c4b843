import Foundation
import Logging
import RESPClient
import TicketCore

/// Creates events with numbered ticket pools: `1…N` for each, in one pool or in stripes (see ``EventStripe``).
///
/// A pool is built in `event:{ID}:seeding:{seeder}` by pipelined calls of a script that writes a range of ids on the
/// server (a million tickets take a second or two), then published together with the event's description by one
/// script, so buyers never see half a pool. Seeding an event that exists does nothing unless `reset` is set, so
/// re-running never duplicates a ticket.
///
/// A reset never deletes an event while an instance holds an escrow of it (see ``EscrowRecall``): the instance
/// keeps a copy of its escrow, and while Redis is out of its reach it could sell from that copy tickets that the
/// new pool holds again.
public struct TicketSeeder: Sendable {
    /// What seeding did to each event.
    public struct Outcome: Sendable, Hashable {
        /// The event.
        public var eventID: EventID
        /// Whether it was created now (`false`: it existed and was kept as it was).
        public var created: Bool
        /// Tickets in its pool after seeding.
        public var available: Int
    }

    /// What a reset does about the instances holding an escrow of the event.
    public enum EscrowRecall: Sendable {
        /// Has every instance give its escrow back (each does at its next refresh), waits at most this long for
        /// them all, and refuses the reset, deleting nothing, if one still holds some.
        case wait(Duration)
        /// Deletes the escrows with the event: their instances may sell those tickets a second time.
        case force
    }

    private let client: RedisClient
    private let logger: Logger
    private let escrowRecall: EscrowRecall
    /// Names this seeder's pools being built (``EventKeys/seeding(_:)``).
    private let seederID = PurchaseID.random().rawValue

    /// Tickets written by one call of `fill-pool.lua`.
    private static let ticketsPerCall = 10_000
    /// How long a pool being built outlives a seeder killed while building it.
    private static let seedingLifetime = Duration.seconds(3600)
    /// How long a reset's `resetting` mark lives unless renewed: the seeder renews it while it waits, and it lapses
    /// soon after a seeder that was killed.
    private static let markLifetime = Duration.seconds(10)

    /// Creates a seeder on a running client, whose resets deal with escrows as `escrowRecall` says.
    public init(client: RedisClient, logger: Logger, escrowRecall: EscrowRecall = .wait(.seconds(10))) {
        self.client = client
        self.logger = logger
        self.escrowRecall = escrowRecall
    }

    /// Seeds events `1…events`, each with tickets `1…ticketsPerEvent`.
    /// - Parameters:
    ///   - events: How many events.
    ///   - ticketsPerEvent: Tickets per event.
    ///   - perUserLimit: Tickets one known buyer may hold per event; 0 for no limit.
    ///   - stripes: Pools per event (see ``EventStripe``); more than 1 needs `perUserLimit` 0.
    ///   - reset: Delete each event first (its pool, ledger and counts) once no instance holds an escrow of it:
    ///     every sale of it is forgotten.
    /// - Throws: ``SeedError``: Redis failed midway (re-running finishes the job), or a reset was refused.
    public func seed(events: Int, ticketsPerEvent: Int, perUserLimit: Int, stripes: Int = 1, reset: Bool) async throws(SeedError) -> [Outcome] {
        guard events > 0 else { return [] }
        let ids = (1...events).map { EventID(String($0))! }
        // Every event's escrows at once: the instances give them all back in one refresh.
        if reset { try await self.recallEscrows(of: ids) }
        var outcomes: [Outcome] = []
        for (number, id) in zip(1..., ids) {
            outcomes.append(
                try await self.seedEvent(
                    id,
                    name: "Event \(number)",
                    venue: "Hall \(number)",
                    startsAt: Self.startTime(daysFromNow: 30 + number),
                    tickets: ticketsPerEvent,
                    perUserLimit: perUserLimit,
                    stripes: stripes,
                    reset: reset
                )
            )
        }
        return outcomes
    }

    /// Seeds one event with tickets `1…tickets`, in `stripes` pools: ticket t in stripe (t − 1) mod `stripes`; its
    /// escrows recalled already when `reset` is set.
    ///
    /// A per-user limit cannot be kept across stripes (a buyer's count lives in one stripe), so a striped event has
    /// none: `perUserLimit` must be 0 when `stripes` is more than 1.
    private func seedEvent(
        _ id: EventID,
        name: String,
        venue: String?,
        startsAt: String?,
        tickets: Int,
        perUserLimit: Int,
        stripes: Int,
        reset: Bool
    ) async throws(SeedError) -> Outcome {
        precondition(stripes >= 1 && (stripes == 1 || perUserLimit == 0), "a striped event has no per-user limit")
        let existing = try await Self.redis { () async throws(RedisError) in try await StripeCounts.fetch(id, from: self.client) }
        let stripesBefore = existing ?? 1
        if existing != nil && !reset {
            return try await Self.redis { () async throws(RedisError) in
                _ = try await self.run(RESPCommand("SADD", .string(EventKeys.eventIndex), .string(id.rawValue)))
                var available = 0
                for stripe in EventStripe.all(of: id, count: stripesBefore) {
                    available += Int(try await self.run(RESPCommand("LLEN", .string(EventKeys(stripe).tickets))).integer ?? 0)
                }
                self.logger.info("event exists; kept as it is", metadata: ["event_id": "\(id)", "available": "\(available)"])
                return Outcome(eventID: id, created: false, available: available)
            }
        }
        // An event without its description but with books of its own lost the description, not its sales: a new pool
        // would sell again the tickets its ledger records (found by black-box testing). Checked here, before leftover
        // stripes are deleted, and again as the pool is published.
        if existing == nil, !reset, try await self.hasBooks(EventKeys(id)) {
            throw .booksWithoutDescription(event: id)
        }
        // Renewed just before the delete: the mark set for every event at the start may have lapsed while earlier events
        // were seeded.
        if reset { try await self.recallEscrows(of: [id]) }
        // A reset deletes every stripe the event had and will have. Without one, stripes k ≥ 1 of an event that does
        // not exist are leftovers of an interrupted seed: nothing can have sold from them, since buyers find the
        // stripes through stripe 0. (So two seeders of one new striped event at once could delete each other's
        // stripes: seed an event from one place.)
        for stripe in EventStripe.all(of: id, count: max(stripes, stripesBefore)) where reset || stripe.index > 0 {
            try await self.delete(stripe)
        }

        let outcome = try await Self.redis { () async throws(RedisError) -> Outcome? in
            // Stripe 0 goes last: it publishes the event, and with it the stripe count that leads buyers to the others.
            var created = false
            for stripe in EventStripe.all(of: id, count: stripes).reversed() {
                let share = tickets > stripe.index ? (tickets - stripe.index - 1) / stripes + 1 : 0
                try await self.fill(stripe, of: stripes, share: share)
                let published = try await self.client.evalScript(
                    TicketScripts.finishSeed,
                    keys: [
                        .string(EventKeys(stripe).seeding(self.seederID)), .string(EventKeys(stripe).tickets), .string(EventKeys(stripe).meta),
                        .string(EventKeys(stripe).purchases), .string(EventKeys(stripe).users), .string(EventKeys(stripe).escrows),
                    ],
                    arguments: [
                        .string(name), .string(venue ?? ""), .string(startsAt ?? ""), .integer(share), .integer(perUserLimit), .integer(stripes),
                    ],
                    options: RedisCommandOptions(timeout: .seconds(60))
                )
                guard published.integer != -1 else { return nil }
                created = published.integer == 1
            }
            _ = try await self.run(RESPCommand("SADD", .string(EventKeys.eventIndex), .string(id.rawValue)))
            self.logger.info(
                created ? "event seeded" : "event appeared meanwhile; kept as it is",
                metadata: ["event_id": "\(id)", "tickets": "\(tickets)", "stripes": "\(stripes)"]
            )
            return Outcome(eventID: id, created: created, available: tickets)
        }
        guard let outcome else { throw .booksWithoutDescription(event: id) }
        return outcome
    }

    /// Whether the stripe of `keys` has books (a ledger, buyers' counts or escrows).
    private func hasBooks(_ keys: EventKeys) async throws(SeedError) -> Bool {
        try await Self.redis { () async throws(RedisError) in
            let count = try await self.run(RESPCommand("EXISTS", .string(keys.purchases), .string(keys.users), .string(keys.escrows)))
            return (count.integer ?? 0) > 0
        }
    }

    /// Has every instance give back its escrow of the events `ids` (it does at its next refresh) and waits until
    /// none holds any, as ``escrowRecall`` allows. Refused, the events are left as they were.
    private func recallEscrows(of ids: [EventID]) async throws(SeedError) {
        guard case .wait(let timeout) = self.escrowRecall else { return }
        var stripes: [EventStripe] = []
        for id in ids {
            guard let count = try await Self.redis({ () async throws(RedisError) in try await StripeCounts.fetch(id, from: self.client) }) else {
                continue
            }
            stripes += EventStripe.all(of: id, count: count)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var announced = false
        while true {
            var holders: [EventID: Set<String>] = [:]
            for stripe in stripes {
                let holding = try await self.recall(stripe, "begin")
                if !holding.isEmpty { holders[stripe.eventID, default: []].formUnion(holding) }
            }
            guard let (event, instances) = holders.min(by: { $0.key.rawValue < $1.key.rawValue }) else { return }
            if clock.now >= deadline {
                for stripe in stripes { _ = try? await self.recall(stripe, "abandon") }
                throw .escrowHeld(event: event, instances: instances.sorted(), waited: timeout)
            }
            if !announced {
                self.logger.info(
                    "waiting for instances to give their escrow back before the reset",
                    metadata: ["event_id": "\(event)", "instances": "\(instances.sorted())", "timeout": "\(timeout)"]
                )
                announced = true
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// `recall-escrows.lua` on one stripe: `begin` or `abandon` its reset. Returns the instances holding an escrow
    /// of it.
    private func recall(_ stripe: EventStripe, _ step: String) async throws(SeedError) -> [String] {
        let keys = EventKeys(stripe)
        let lifetime = Self.markLifetime.components.seconds * 1000
        return try await Self.redis { () async throws(RedisError) in
            try await self.client.evalScript(
                TicketScripts.recallEscrows,
                keys: [.string(keys.meta), .string(keys.escrows), .string(keys.resetting)],
                arguments: [.string(step), .integer(Int(lifetime))],
                options: RedisCommandOptions(idempotent: true)
            ).array?.compactMap(\.string) ?? []
        }
    }

    /// Deletes one stripe: its pool, ledger, counts, description and a pool being built; refused while an instance
    /// holds an escrow of it, unless ``escrowRecall`` is ``EscrowRecall/force``, which deletes the escrows too.
    private func delete(_ stripe: EventStripe) async throws(SeedError) {
        let keys = EventKeys(stripe)
        let reply = try await Self.redis { () async throws(RedisError) in
            try await self.client.evalScript(
                TicketScripts.resetEvent,
                keys: [
                    .string(keys.tickets), .string(keys.purchases), .string(keys.users), .string(keys.meta), .string(keys.seeding(self.seederID)),
                    .string(keys.escrows), .string(keys.resetting),
                ],
                arguments: [.string(keys.escrowPrefix), .string(self.isForced ? "force" : "")]
            )
        }
        if let holders = reply.array {
            // An instance took escrow after the recall saw none: one that ran an older escrow-take.lua.
            throw .escrowHeld(event: stripe.eventID, instances: holders.compactMap(\.string).sorted(), waited: .zero)
        }
        if let count = reply.integer, count > 0 {
            self.logger.warning(
                "forced reset deleted the escrow of running or crashed instances; each keeps its copy until its next refresh, and a Redis outage before then could sell one of those tickets again",
                metadata: ["event_id": "\(stripe.eventID)", "instances": "\(count)"]
            )
        }
    }

    private var isForced: Bool {
        if case .force = self.escrowRecall { return true }
        return false
    }

    /// Builds the pool of one stripe of an event in `count` stripes in this seeder's `seeding` key: `share`
    /// tickets, `index + 1`, `index + 1 + count`, and so on. The key expires unless published
    /// (``seedingLifetime``), so a seeder killed halfway leaves nothing behind for long.
    private func fill(_ stripe: EventStripe, of count: Int, share: Int) async throws(RedisError) {
        let seeding = EventKeys(stripe).seeding(self.seederID)
        _ = try await self.run(RESPCommand("DEL", .string(seeding)))
        // The server writes the ids (fill-pool.lua) in ranges small enough to keep each call to a few
        // milliseconds; one pipeline on one connection keeps them in order.
        try await self.client.loadScript(TicketScripts.fillPool)
        var fills = stride(from: 0, to: share, by: Self.ticketsPerCall).map { done in
            RESPCommand(
                "EVALSHA",
                .string(TicketScripts.fillPool.sha1),
                1,
                .string(seeding),
                .integer(stripe.index + 1 + done * count),
                .integer(stripe.index + 1 + (min(done + Self.ticketsPerCall, share) - 1) * count),
                .integer(count)
            )
        }
        let lifetime = Int(Self.seedingLifetime.components.seconds * 1000)
        if !fills.isEmpty { fills.insert(RESPCommand("PEXPIRE", .string(seeding), .integer(lifetime)), at: 1) }
        do throws(RedisError) {
            for result in try await self.client.pipeline(fills, options: RedisCommandOptions(timeout: .seconds(120))) {
                if case .failure(let error) = result { throw error }
            }
        } catch {
            // Half a pool is of no use, and may hold Redis at its memory limit (the usual reason a fill fails).
            _ = try? await self.run(RESPCommand("DEL", .string(seeding)))
            throw error
        }
    }

    private func run(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        try await self.client.execute(command, options: RedisCommandOptions(timeout: .seconds(30)))
    }

    /// Runs `body`, reporting a Redis failure as ``SeedError/redis(_:)``.
    private static func redis<Value>(_ body: () async throws(RedisError) -> Value) async throws(SeedError) -> Value {
        do {
            return try await body()
        } catch {
            throw .redis(error)
        }
    }

    /// 20:00 UTC, `days` days from now, as ISO 8601.
    static func startTime(daysFromNow days: Int) -> String {
        let day = 86_400.0
        let midnight = (Date().timeIntervalSince1970 / day).rounded(.down) * day
        let start = Date(timeIntervalSince1970: midnight + Double(days) * day + 20 * 3600)
        return start.ISO8601Format()
    }
}
