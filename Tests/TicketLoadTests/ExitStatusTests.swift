import Foundation
import Testing

/// The executable's exit status, which scripts and CI read: 0 clean, 1 something sold wrong, 2 no run at all, 64 an
/// option that makes no sense.
@Suite struct ExitStatusTests {
    @Test func aHealthyServiceExitsZero() async throws {
        let server = try await FakeTicketServer.start(capacity: 100)
        defer { Task { try await server.stop() } }
        let (status, output) = try await TicketLoadExecutable.run([
            "--url", "http://127.0.0.1:\(server.port)", "--connections", "10", "--requests", "150", "--skip-redis-audit",
        ])
        #expect(status == 0, "\(output)")
        #expect(output.contains("verdict: PASS"))
        #expect(output.contains("201: 100  409: 50"))
    }

    /// Sales from an instance's escrow reach the service's counts when the instance settles them, after the run:
    /// a count read at once fell short and the run failed (COUNT MISMATCH), though nothing was wrong.
    @Test func salesSettledJustAfterTheRunAreCounted() async throws {
        let server = try await FakeTicketServer.start(capacity: 100, fault: .settlesLate(reads: 3, unsettled: 5))
        defer { Task { try await server.stop() } }
        let (status, output) = try await TicketLoadExecutable.run([
            "--url", "http://127.0.0.1:\(server.port)", "--connections", "10", "--requests", "50", "--skip-redis-audit",
        ])
        #expect(status == 0 && output.contains("verdict: PASS"), "\(output)")
    }

    @Test func aServiceThatSellsATicketTwiceExitsOneAndSaysWhich() async throws {
        let server = try await FakeTicketServer.start(capacity: 100, fault: .sellTicketTwice(3))
        defer { Task { try await server.stop() } }
        let (status, output) = try await TicketLoadExecutable.run([
            "--url", "http://127.0.0.1:\(server.port)", "--connections", "10", "--requests", "50", "--skip-redis-audit",
        ])
        #expect(status == 1, "\(output)")
        #expect(output.contains("verdict: FAIL"))
        #expect(output.contains("DUPLICATE: ticket 3 of event 1 sold 2 times"))
    }

    /// Without `--url`, `TEST_URL` comes from `.env` in the working directory, where ticketd (and so the Redis
    /// audit) reads its settings; a `.env` that is not `KEY=value` lines is a usage error naming its line.
    @Test func theServiceIsFoundThroughTestURLInTheDotEnvFile() async throws {
        let server = try await FakeTicketServer.start(capacity: 10)
        defer { Task { try await server.stop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ticket-load-env-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environmentFile = directory + "/.env"
        try "# the service under test\nTEST_URL=http://127.0.0.1:\(server.port)\n".write(toFile: environmentFile, atomically: true, encoding: .utf8)
        let (status, output) = try await TicketLoadExecutable.run(["--requests", "10", "--skip-redis-audit"], in: directory)
        #expect(status == 0 && output.contains("201: 10"), "\(output)")

        try "TEST_URL http://127.0.0.1:\(server.port)\n".write(toFile: environmentFile, atomically: true, encoding: .utf8)
        let (malformedStatus, malformed) = try await TicketLoadExecutable.run(["--requests", "1", "--skip-redis-audit"], in: directory)
        #expect(malformedStatus == 64 && malformed.contains(".env line 1 is not KEY=value"), "\(malformed)")
    }

    @Test func noServiceExitsTwoWithAMessage() async throws {
        let server = try await FakeTicketServer.start(capacity: 1)
        let port = server.port
        try await server.stop()
        let (status, output) = try await TicketLoadExecutable.run(["--url", "http://127.0.0.1:\(port)", "--requests", "1"])
        #expect(status == 2, "\(output)")
        #expect(output.contains("no service answers at http://127.0.0.1:\(port)"))
    }

    /// A service that takes connections and never answers is no service: exit 2 once the request timeout passes.
    @Test(.timeLimit(.minutes(1))) func aServiceThatNeverAnswersExitsTwo() async throws {
        let server = try await FakeTicketServer.start(capacity: 1, fault: .neverAnswers)
        defer { Task { try await server.stop() } }
        let (status, output) = try await TicketLoadExecutable.run([
            "--url", "http://127.0.0.1:\(server.port)", "--requests", "1", "--timeout", "1", "--skip-redis-audit",
        ])
        #expect(status == 2, "\(output)")
        #expect(output.contains("no service answers at http://127.0.0.1:\(server.port)"), "\(output)")
    }

    /// Options that make no sense exit 64 with a message, whether the argument parser or the tester finds them, and
    /// before any connection is tried (no service listens at port 1).
    @Test(arguments: [
        (["--connections=-5"], "--connections must be at least 1"),
        (["--connections", "-5"], "Missing value for '--connections <connections>'"),
        (["--duration", "1", "--requests", "1"], "give --duration or --requests, not both"),
        (["--event", "a b"], #"event ids are 1 to 64 characters of A-Z, a-z, 0-9, _ or - (got "a b")"#),
        (["--multi", "--events", "1,,2"], #"(got "")"#),
        (["--url", "https://127.0.0.1:1"], "the URL must start with http://"),
        // Not finite or out of range: these trapped turning seconds into nanoseconds.
        (["--duration", "nan"], "--duration must be above 0 and at most 31536000 seconds"),
        (["--timeout", "inf"], "--timeout must be above 0 and at most 31536000 seconds"),
        (["--connect-timeout", "1e300"], "--connect-timeout must be above 0"),
        (["--rate", "inf"], "--rate must be above 0"),
        // Checked before the run, not after it.
        (["--json", "/nonexistent-directory/report.json"], "--json /nonexistent-directory/report.json: its directory does not exist"),
        // The run was made, then its report was lost.
        (["--json", "/tmp"], "--json /tmp is a directory; name a file"),
        // Crashed (SIGILL).
        (["--threads", "20000"], "--threads must be from 1 to 256"),
        // Ignored in silence: the run bought event 1.
        (["--events", "2,3"], "--events needs --multi"),
        // Ignored in silence: the suite ran its own scenarios.
        (["--full", "--event", "7"], "--full runs its own scenarios, which set their own events, lengths and buyers: leave out --event"),
        (["--full", "--rate", "100"], "leave out --rate"),
        (["--full", "--plot", "/tmp/plot.svg"], "leave out --plot"),
    ])
    func anOptionThatMakesNoSenseExits64(arguments: [String], message: String) async throws {
        let (status, output) = try await TicketLoadExecutable.run(["--url", "http://127.0.0.1:1", "--skip-redis-audit"] + arguments)
        #expect(status == 64, "\(output)")
        #expect(output.contains(message), "\(output)")
    }
}
