import ArgumentParser
import Foundation
import Logging
import TicketCore
import TicketHTTP
import TicketRedis

/// `ticketd audit`: checks every event's books; exits 1 with a report when any is off, 69 (`EX_UNAVAILABLE`) when
/// they cannot be read.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check every event: seeded = available + escrowed + sold, every sold ticket in exactly one purchase, every ticket in one place."
    )

    /// The exit status when Redis cannot be read (`EX_UNAVAILABLE` of `sysexits.h`).
    static let unavailable: Int32 = 69

    func run() async throws {
        let reader = try ConfigurationLoader.reader()
        // Logs to standard error: standard output is the report.
        let logger = try ConfigurationLoader.bootstrapLogging(reader, console: .standardError)
        let report: AuditReport
        do {
            report = try await RedisSession.with(url: ConfigurationLoader.redisURL(reader), logger: logger) { client in
                try await RedisTicketStore(client: client, logger: logger).audit()
            }
        } catch {
            // Not a verdict on the books: they could not be read. A script tells the two apart by the status.
            FileHandle.standardError.write(Data("Error: the books could not be read: \(error)\n".utf8))
            throw ExitCode(Self.unavailable)
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
