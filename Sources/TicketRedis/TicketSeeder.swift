import Foundation
import Logging
import RESPClient
import TicketCore

/// Creates events with numbered ticket pools: `1…N` for each.
///
/// A pool is built in `event:{ID}:seeding` by pipelined calls of a script that writes a range of ids on the
/// server (a million tickets take a second or two) and then published together with the event's description by one script, so buyers never see half a pool. Seeding an
/// event that exists does nothing unless `reset` is set, so re-running never duplicates a ticket.
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

    private let client: RedisClient
    private let logger: Logger

    /// Tickets written by one call of `fill-pool.lua`.
    private static let ticketsPerCall = 10_000

    /// Creates a seeder on a running client.
    public init(client: RedisClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Seeds events `1…events`, each with tickets `1…ticketsPerEvent`.
    /// - Parameters:
    ///   - events: How many events.
    ///   - ticketsPerEvent: Tickets per event.
    ///   - perUserLimit: Tickets one known buyer may hold per event; 0 for no limit.
    ///   - reset: Delete each event first (its pool, ledger, counts and every instance's escrow): every sale of it is
    ///     forgotten.
    /// - Throws: ``RedisError`` when Redis fails midway; re-running finishes the job.
    public func seed(events: Int, ticketsPerEvent: Int, perUserLimit: Int, reset: Bool) async throws(RedisError) -> [Outcome] {
        guard events > 0 else { return [] }
        var outcomes: [Outcome] = []
        for number in 1...events {
            let id = EventID(String(number))!
            outcomes.append(
                try await self.seed(
                    id,
                    name: "Event \(number)",
                    venue: "Hall \(number)",
                    startsAt: Self.startTime(daysFromNow: 30 + number),
                    tickets: ticketsPerEvent,
                    perUserLimit: perUserLimit,
                    reset: reset
                )
            )
        }
        return outcomes
    }

    /// Seeds one event with tickets `1…tickets`.
    public func seed(
        _ id: EventID,
        name: String,
        venue: String?,
        startsAt: String?,
        tickets: Int,
        perUserLimit: Int,
        reset: Bool
    ) async throws(RedisError) -> Outcome {
        let keys = EventKeys(id)
        if reset {
            // Escrows go too: left behind, they would hold tickets that the new pool holds again.
            _ = try await self.client.evalScript(
                TicketScripts.resetEvent,
                keys: [
                    .string(keys.tickets), .string(keys.purchases), .string(keys.users), .string(keys.meta), .string(keys.seeding),
                    .string(keys.escrows),
                ],
                arguments: [.string(keys.escrowPrefix)]
            )
        } else if try await self.run(RESPCommand("EXISTS", .string(keys.meta))).integer == 1 {
            _ = try await self.run(RESPCommand("SADD", .string(EventKeys.eventIndex), .string(id.rawValue)))
            let available = Int(try await self.run(RESPCommand("LLEN", .string(keys.tickets))).integer ?? 0)
            self.logger.info("event exists; kept as it is", metadata: ["event_id": "\(id)", "available": "\(available)"])
            return Outcome(eventID: id, created: false, available: available)
        }

        _ = try await self.run(RESPCommand("DEL", .string(keys.seeding)))
        // The server writes the ids (fill-pool.lua) in ranges small enough to keep each call to a few
        // milliseconds; one pipeline on one connection keeps them in order.
        try await self.client.loadScript(TicketScripts.fillPool)
        let fills = stride(from: 1, through: tickets, by: Self.ticketsPerCall).map { first in
            RESPCommand(
                "EVALSHA",
                .string(TicketScripts.fillPool.sha1),
                1,
                .string(keys.seeding),
                .integer(first),
                .integer(min(first + Self.ticketsPerCall - 1, tickets))
            )
        }
        for result in try await self.client.pipeline(fills, options: RedisCommandOptions(timeout: .seconds(120))) {
            if case .failure(let error) = result { throw error }
        }

        let published = try await self.client.evalScript(
            TicketScripts.finishSeed,
            keys: [.string(keys.seeding), .string(keys.tickets), .string(keys.meta)],
            arguments: [.string(name), .string(venue ?? ""), .string(startsAt ?? ""), .integer(tickets), .integer(perUserLimit)],
            options: RedisCommandOptions(timeout: .seconds(60))
        )
        _ = try await self.run(RESPCommand("SADD", .string(EventKeys.eventIndex), .string(id.rawValue)))
        let created = published.integer == 1
        self.logger.info(
            created ? "event seeded" : "event appeared meanwhile; kept as it is",
            metadata: ["event_id": "\(id)", "tickets": "\(tickets)"]
        )
        return Outcome(eventID: id, created: created, available: tickets)
    }

    private func run(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        try await self.client.execute(command, options: RedisCommandOptions(timeout: .seconds(30)))
    }

    /// 20:00 UTC, `days` days from now, as ISO 8601.
    static func startTime(daysFromNow days: Int) -> String {
        let day = 86_400.0
        let midnight = (Date().timeIntervalSince1970 / day).rounded(.down) * day
        let start = Date(timeIntervalSince1970: midnight + Double(days) * day + 20 * 3600)
        return start.ISO8601Format()
    }
}
