import ArgumentParser
import Logging
import TicketCore
import TicketHTTP
import TicketRedis

/// `ticketd audit`: checks every event's books; exits 1 with a report when any is off.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check every event: seeded = available + escrowed + sold, every sold ticket in exactly one purchase, every ticket in one place."
    )

    func run() async throws {
        let reader = try ConfigurationLoader.reader()
        // Logs to standard error: standard output is the report.
        let logger = try ConfigurationLoader.bootstrapLogging(reader, console: .standardError)
        let report = try await RedisSession.with(url: ConfigurationLoader.redisURL(reader), logger: logger) { client in
            try await RedisTicketStore(client: client, logger: logger).audit()
        }
        for event in report.events {
            let verdict = event.problems.isEmpty ? "ok" : "BROKEN"
            print(
                "event \(event.eventID)\tseeded \(event.seeded)\tavailable \(event.available)\tescrowed \(event.escrowed)\tsold \(event.sold)\t\(verdict)"
            )
            for problem in event.problems { print("  - \(problem)") }
        }
        if report.events.isEmpty { print("no events") }
        guard report.isClean else {
            print("audit FAILED")
            throw ExitCode(1)
        }
        print("audit passed: \(report.events.count) events, \(report.events.reduce(0) { $0 + $1.sold }) tickets sold, none twice")
    }
}
