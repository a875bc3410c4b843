import ArgumentParser
import Logging
import TicketRedis

/// `ticketd seed [events] [tickets] [--reset]`: creates events `1…events`, each with `tickets` tickets.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Create events 1…N with numbered ticket pools; existing events are kept unless --reset."
    )

    @Argument(help: "How many events.")
    var events: Int = 5

    @Argument(help: "Tickets per event.")
    var tickets: Int = 10_000

    @Option(name: .customLong("per-user-limit"), help: "Tickets one known buyer may hold per event (0: no limit).")
    var perUserLimit: Int = 10

    @Flag(help: "Delete the events first, with every sale of them.")
    var reset = false

    func validate() throws {
        guard (1...10_000).contains(self.events) else { throw ValidationError("events must be from 1 to 10000") }
        guard (0...50_000_000).contains(self.tickets) else { throw ValidationError("tickets must be from 0 to 50000000") }
        guard self.perUserLimit >= 0 else { throw ValidationError("--per-user-limit must not be negative") }
    }

    func run() async throws {
        let reader = try await ConfigurationLoader.reader()
        let logger = try ConfigurationLoader.bootstrapLogging(reader)
        let url = ConfigurationLoader.redisURL(reader)
        let clock = ContinuousClock()
        let start = clock.now
        let outcomes = try await RedisSession.with(url: url, logger: logger) { client in
            try await TicketSeeder(client: client, logger: logger)
                .seed(events: self.events, ticketsPerEvent: self.tickets, perUserLimit: self.perUserLimit, reset: self.reset)
        }
        for outcome in outcomes {
            let state = outcome.created ? "seeded" : "kept  "
            print("event \(outcome.eventID)\t\(state)\t\(outcome.available) tickets available")
        }
        print("done in \(clock.now - start)")
    }
}
