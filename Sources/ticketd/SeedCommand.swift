import ArgumentParser
import Foundation
import Logging
import RESPClient
import TicketHTTP
import TicketRedis

/// `ticketd seed [events] [tickets] [--stripes K] [--reset]`: creates events `1…events`, each with `tickets` tickets.
///
/// Exits as ``AuditCommand`` does when it cannot work: 69 when Redis cannot be reached or fails midway, 78 when the
/// configuration cannot be used; 1 for anything else (a refused reset).
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Create events 1…N with numbered ticket pools; existing events are kept unless --reset."
    )

    @Argument(help: "How many events.")
    var events: Int = 5

    @Argument(help: "Tickets per event.")
    var tickets: Int = 10_000

    @Option(name: .customLong("per-user-limit"), help: "Tickets one known buyer may hold per event (0: no limit; default 10, or 0 with --stripes).")
    var perUserLimit: Int?

    @Option(
        help: "Pools per event, each under its own hash tag, so that one hot event can use several Redis Cluster shards (no per-user limit then)."
    )
    var stripes: Int = 1

    @Flag(
        help: """
            Delete the events first, with every sale of them. Running instances first give their escrow of the events \
            back; the reset is refused, deleting nothing, while an instance still holds some.
            """
    )
    var reset = false

    @Option(name: .customLong("escrow-timeout"), help: "With --reset: seconds to wait for the instances to give their escrow back (default 10).")
    var escrowTimeout: Int?

    @Flag(
        help: """
            With --reset: delete the escrows of the events too, without waiting for their instances (unsafe while one \
            runs or will restart: it may sell those tickets a second time).
            """
    )
    var force = false

    /// The most tickets one event can have; also the largest per-user limit.
    static let maxTickets = 50_000_000

    func validate() throws {
        guard (1...10_000).contains(self.events) else { throw ValidationError("events must be from 1 to 10000") }
        guard (0...Self.maxTickets).contains(self.tickets) else { throw ValidationError("tickets must be from 0 to \(Self.maxTickets)") }
        // A limit above the most tickets an event can have is no limit, and a larger one did not survive Lua's numbers:
        // 2⁶³ - 1 came back from Redis as -2⁶³, and the fallback sold to named buyers as if the event had none.
        guard (0...Self.maxTickets).contains(self.perUserLimit ?? 0) else {
            throw ValidationError("--per-user-limit must be from 0 (no limit) to \(Self.maxTickets)")
        }
        guard (1...256).contains(self.stripes) else { throw ValidationError("--stripes must be from 1 to 256") }
        guard (0...3600).contains(self.escrowTimeout ?? 10) else { throw ValidationError("--escrow-timeout must be from 0 to 3600 seconds") }
        guard self.reset || self.escrowTimeout == nil else { throw ValidationError("--escrow-timeout only goes with --reset") }
        guard self.reset || !self.force else { throw ValidationError("--force only goes with --reset") }
        guard self.stripes == 1 || (self.perUserLimit ?? 0) == 0 else {
            throw ValidationError("a striped event cannot keep a per-user limit (a buyer's count lives in one stripe): use --per-user-limit 0")
        }
    }

    func run() async throws {
        let (reader, logger) = try ConfigurationLoader.oneShotCommand()
        let url = try ConfigurationLoader.redisURL(reader)
        let clock = ContinuousClock()
        let start = clock.now
        let outcomes: [TicketSeeder.Outcome]
        do {
            outcomes = try await RedisSession.with(url: url, logger: logger) { client in
                try await TicketSeeder(client: client, logger: logger, escrowRecall: self.force ? .force : .wait(.seconds(self.escrowTimeout ?? 10)))
                    .seed(
                        events: self.events,
                        ticketsPerEvent: self.tickets,
                        perUserLimit: self.perUserLimit ?? (self.stripes > 1 ? 0 : 10),
                        stripes: self.stripes,
                        reset: self.reset
                    )
            }
        } catch {
            if let exit = ConfigurationLoader.misconfigured(by: error) { throw exit }
            // Redis's message, not the error's type names, and the status `audit` gives when Redis cannot be read.
            let redis: RedisError
            switch error {
            case let error as RedisError: redis = error
            case SeedError.redis(let error): redis = error
            default: throw error
            }
            FileHandle.standardError.write(
                Data("Error: \(redis.message); seeding stopped: run it again once Redis answers (events already seeded are kept, none twice)\n".utf8)
            )
            throw ExitCode(AuditCommand.unavailable)
        }
        for outcome in outcomes {
            let state = outcome.created ? "seeded" : "kept  "
            print("event \(outcome.eventID)\t\(state)\t\(outcome.available) tickets available")
        }
        print("done in \(clock.now - start)")
        if !self.reset, self.perUserLimit != nil || self.stripes != 1, outcomes.contains(where: { !$0.created }) {
            // Kept events keep what they were seeded with: the options asked for something else in vain before.
            logger.warning("kept events keep their per-user limit and stripes: --per-user-limit and --stripes apply to new events, or with --reset")
        }
    }
}
