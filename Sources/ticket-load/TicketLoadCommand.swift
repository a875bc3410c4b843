import ArgumentParser
import DotEnv
import Foundation
import NIOCore
import TicketLoad

/// `ticket-load`: buys tickets from ticketd over thousands of keep-alive connections, measures, and proves that
/// no ticket was sold twice.
@main
struct TicketLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticket-load",
        abstract: "Load-test ticketd's POST /buy/:eventId and audit every ticket sold.",
        discussion: """
            Every connection is opened first; then all start at once. Closed loop by default: each connection \
            sends its next purchase when the last is answered. With --rate the requests follow a fixed schedule and \
            latency counts from when each was due.

            After the run every ticket from every 201 is checked: all distinct, every repeated Idempotency-Key \
            answered with its original purchase, the count equal to the growth of the service's sold count \
            (GET /events/:id), and, when the ticketd binary is found (beside this one, or --ticketd), equal to what \
            `ticketd audit` reads from Redis; that uses REDIS_URL (or .env), which must name the service's Redis. \
            Counts only agree when nobody else buys the same events during the run.

            Exit status: 0 when the audit passes (every scenario with --full), 1 when it finds anything wrong \
            or cannot finish (`ticketd audit` could not read Redis: REDIS AUDIT NOT MADE), 2 when the run cannot \
            be made (no service, unknown event, too few file descriptors), 64 for an option or URL that makes no \
            sense.
            """
    )

    @Option(help: "The service (default: $TEST_URL, from the environment or .env, else http://localhost:3049).")
    var url: String?

    @Option(help: "The event to buy from (default 1).")
    var event: String?

    @Flag(help: "Buy from several events at once (--events).")
    var multi = false

    @Option(help: "With --multi: the events, comma-separated; requests go round-robin over them (default 1,2,3).")
    var events: String?

    @Option(help: "Open connections (each one request in flight at a time).")
    var connections = 1000

    @Option(help: "Seconds to send for (default 10 unless --requests is given).")
    var duration: Double?

    @Option(help: "Requests to send in all, instead of --duration.")
    var requests: Int?

    @Option(help: "Open-loop mode: requests per second, latency measured from when each was due.")
    var rate: Double?

    @Option(help: "Spread purchases over this many named buyers (X-User-Id); default anonymous.")
    var users: Int?

    @Option(
        name: .customLong("idempotency-replays"),
        help: "Share (0-1) of requests that repeat an earlier purchase's Idempotency-Key (default 0)."
    )
    var idempotencyReplays: Double?

    @Option(help: "Seconds a request may wait for its answer.")
    var timeout = 10.0

    @Option(name: .customLong("connect-timeout"), help: "Seconds a TCP connect may take (each connection tries up to 5 times).")
    var connectTimeout = 10.0

    @Option(help: "Event-loop threads (default: one per core).")
    var threads: Int?

    @Option(help: "Write the whole report as JSON to this file.")
    var json: String?

    @Option(help: "Write throughput and latency over time as an SVG picture to this file.")
    var plot: String?

    @Option(help: "The ticketd binary for the Redis audit and --full's seeding (default: beside ticket-load).")
    var ticketd: String?

    @Flag(name: .customLong("skip-redis-audit"), help: "Leave out the Redis check (ticketd audit); the report says so.")
    var skipRedisAudit = false

    @Flag(help: "Run the suite: sell-out race, several events, sold-out hammering, idempotency replays, per-user limit. Resets events 1-5.")
    var full = false

    func validate() throws {
        if self.duration != nil, self.requests != nil { throw ValidationError("give --duration or --requests, not both") }
        if self.full, self.multi { throw ValidationError("--full chooses its own events") }
        if self.full, let ignored = self.optionsTheSuiteIgnores.first {
            // They were ignored in silence: the suite sets each scenario's own.
            throw ValidationError("--full runs its own scenarios, which set their own events, lengths and buyers: leave out \(ignored)")
        }
        // Without --multi the run buys --event only: --events alone was ignored in silence.
        if self.events != nil, !self.multi { throw ValidationError("--events needs --multi (or name one event with --event)") }
        if let threads = self.threads, !(1...Self.mostThreads).contains(threads) {
            throw ValidationError("--threads must be from 1 to \(Self.mostThreads)")
        }
        if self.full, self.skipRedisAudit { throw ValidationError("--full needs ticketd to reseed; it always audits Redis") }
        let seconds: [(option: String, value: Double?)] = [
            ("--duration", self.duration), ("--timeout", self.timeout), ("--connect-timeout", self.connectTimeout),
        ]
        for (option, value) in seconds {
            guard let value else { continue }
            // Not NaN, infinite or beyond a year: the run turns seconds into whole nanoseconds, which trapped.
            guard value > 0, value <= Self.longestSeconds else {
                throw ValidationError("\(option) must be above 0 and at most \(Int(Self.longestSeconds)) seconds")
            }
        }
        if let rate = self.rate, !(rate > 0 && rate <= Self.highestRate) {
            throw ValidationError("--rate must be above 0 and at most \(Int(Self.highestRate)) requests a second")
        }
        for (option, path) in [("--json", self.json), ("--plot", self.plot)] {
            guard let path else { continue }
            // Checked now, not after the run: a report that cannot be written would be lost.
            let directory = (path as NSString).deletingLastPathComponent
            guard FileManager.default.isWritableFile(atPath: directory.isEmpty ? "." : directory) else {
                throw ValidationError("\(option) \(path): its directory does not exist or cannot be written")
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw ValidationError("\(option) \(path) is a directory; name a file")
            }
        }
    }

    /// The options given that only a single run reads, which ``full`` would ignore.
    private var optionsTheSuiteIgnores: [String] {
        let given: [(option: String, isGiven: Bool)] = [
            ("--event", self.event != nil), ("--duration", self.duration != nil), ("--requests", self.requests != nil),
            ("--rate", self.rate != nil), ("--users", self.users != nil),
            ("--idempotency-replays", self.idempotencyReplays != nil), ("--plot", self.plot != nil),
        ]
        return given.filter(\.isGiven).map(\.option)
    }

    /// The longest duration or timeout, in seconds: a year.
    static let longestSeconds = 31_536_000.0
    /// The highest --rate, in requests a second.
    static let highestRate = 10_000_000.0
    /// The most --threads: each is an event loop with its own thread (20,000 crashed the tester).
    static let mostThreads = 256

    func run() async throws {
        do {
            let target = try TargetURL(try self.url ?? Self.defaultURL())
            let ticketd = try self.ticketdBinary()
            if self.full {
                try await self.runSuite(target: target, ticketd: ticketd)
            } else {
                try await self.runOnce(target: target, ticketd: ticketd)
            }
        } catch let error as LoadError {
            FileHandle.standardError.write(Data("ticket-load: \(error.message)\n".utf8))
            throw ExitCode(error.isInvalidArgument ? 64 : 2)
        }
    }

    /// `TEST_URL` from the environment, else from the `.env` file in the working directory (where ticketd, and so
    /// the Redis audit, reads its settings), else `http://localhost:3049`.
    private static func defaultURL() throws(LoadError) -> String {
        if let url = ProcessInfo.processInfo.environment["TEST_URL"] { return url }
        do {
            return try DotEnvFile.variables(atPath: ".env")["TEST_URL"] ?? "http://localhost:3049"
        } catch {
            throw .invalidArgument(error.description)
        }
    }

    private func ticketdBinary() throws(LoadError) -> TicketdBinary? {
        if self.skipRedisAudit, !self.full { return nil }
        guard let path = self.ticketd else { return TicketdBinary.besideSelf() }
        guard FileManager.default.isExecutableFile(atPath: path) else { throw .invalidArgument("--ticketd \(path) is not an executable") }
        return TicketdBinary(path: path)
    }

    private func runOnce(target: TargetURL, ticketd: TicketdBinary?) async throws {
        var configuration = LoadConfiguration(
            target: target,
            events: self.multi
                ? (self.events ?? "1,2,3").split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                : [self.event ?? "1"]
        )
        configuration.connections = self.connections
        configuration.stop = self.requests.map { .requests($0) } ?? .duration(.milliseconds(Int64((self.duration ?? 10) * 1000)))
        configuration.rate = self.rate
        configuration.users = self.users
        configuration.replayShare = self.idempotencyReplays ?? 0
        configuration.requestTimeout = .milliseconds(Int64(self.timeout * 1000))
        configuration.connectTimeout = .milliseconds(Int64(self.connectTimeout * 1000))
        configuration.threads = self.threads ?? System.coreCount
        let printer = ProgressPrinter()
        let report = try await LoadRunner(configuration: configuration, ticketd: ticketd).run { printer.show($0) }
        printer.finish()
        print(report.table())
        try self.writeOutputs(report)
        if !report.passed { throw ExitCode(1) }
    }

    private func runSuite(target: TargetURL, ticketd: TicketdBinary?) async throws {
        guard let ticketd else {
            throw LoadError.ticketd("--full reseeds events 1-5 with `ticketd seed`: build it (swift build) or pass --ticketd PATH")
        }
        var suite = FullSuite(target: target, connections: self.connections, ticketd: ticketd, threads: self.threads ?? System.coreCount)
        suite.requestTimeout = .milliseconds(Int64(self.timeout * 1000))
        suite.connectTimeout = .milliseconds(Int64(self.connectTimeout * 1000))
        print("ticket-load --full against \(target): events 1-5 reseeded through \(ticketd.path) (REDIS_URL must be the service's Redis)")
        let verdicts = try await suite.run { print($0.line) }
        if let json = self.json {
            try Self.write(JSONEncoder.report.encode(verdicts), to: json)
        }
        let failed = verdicts.filter { !$0.passed }.count
        print(failed == 0 ? "suite: PASS, \(verdicts.count) scenarios" : "suite: FAIL, \(failed) of \(verdicts.count) scenarios")
        if failed > 0 { throw ExitCode(1) }
    }

    private func writeOutputs(_ report: LoadReport) throws {
        if let json = self.json { try Self.write(JSONEncoder.report.encode(report), to: json) }
        if let plot = self.plot { try Self.write(Data(LoadPlot.svg(report).utf8), to: plot) }
    }

    private static func write(_ data: Data, to path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw LoadError.invalidArgument("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
