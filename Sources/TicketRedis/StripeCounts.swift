import RESPClient
import Synchronization
import TicketCore

/// How many stripes each event has (see ``EventStripe``), read from its description on first use and kept.
///
/// A stripe count is fixed when an event is seeded; a reseed that changes it is noticed when a purchase finds
/// every stripe it knows of empty (``reread(_:ifOlderThan:)``). Only events that exist are kept, so requests for
/// made-up event ids cannot grow the table.
final class StripeCounts: Sendable {
    private struct Entry {
        var count: Int
        var readAt: ContinuousClock.Instant
    }

    private let client: RedisClient
    private let entries = Mutex<[EventID: Entry]>([:])

    /// Creates an empty table read through `client`.
    init(client: RedisClient) { self.client = client }

    /// The count last read for `event`, without asking Redis.
    func cached(_ event: EventID) -> Int? { self.entries.withLock { $0[event]?.count } }

    /// The stripe count of `event`: the one kept, or else read from Redis.
    /// - Returns: 1 for an event that does not exist (its purchase then says so).
    /// - Throws: ``RedisError`` when Redis cannot answer.
    func count(of event: EventID) async throws(RedisError) -> Int {
        if let count = self.cached(event) { return count }
        return try await self.read(event)
    }

    /// Reads the count of `event` again unless it was read less than `age` ago.
    /// - Returns: the count read now, or `nil` when it was not read.
    func reread(_ event: EventID, ifOlderThan age: Duration) async -> Int? {
        let now = ContinuousClock.now
        let stale = self.entries.withLock { entries in
            guard let entry = entries[event] else { return true }
            guard now - entry.readAt >= age else { return false }
            // Stamped now, so that the buyers finding the event sold out together cause one read, not one each.
            entries[event]?.readAt = now
            return true
        }
        guard stale else { return nil }
        return try? await self.read(event)
    }

    /// Keeps a count read elsewhere (an event's snapshot).
    func remember(_ count: Int, of event: EventID) {
        let now = ContinuousClock.now
        self.entries.withLock { $0[event] = Entry(count: count, readAt: now) }
    }

    /// Forgets `event`, which no longer exists.
    func forget(_ event: EventID) {
        _ = self.entries.withLock { $0.removeValue(forKey: event) }
    }

    private func read(_ event: EventID) async throws(RedisError) -> Int {
        guard let count = try await Self.fetch(event, from: self.client) else {
            self.forget(event)
            return 1
        }
        self.remember(count, of: event)
        return count
    }

    /// The stripe count that stripe 0's description of `event` gives (1 when it names none), read from Redis
    /// now; `nil` when the event does not exist.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    static func fetch(_ event: EventID, from client: RedisClient) async throws(RedisError) -> Int? {
        let reply = try await client.execute(
            RESPCommand("HMGET", .string(EventKeys(event).meta), "capacity", "stripes"),
            options: RedisCommandOptions(idempotent: true)
        )
        // `capacity` only tells whether the event exists, in the same round trip as the count.
        let fields = reply.array ?? []
        guard fields.count == 2, fields[0].string != nil else { return nil }
        return max(1, fields[1].integer.map { Int($0) } ?? 1)
    }
}
