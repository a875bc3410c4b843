import Foundation
import RedisTestSupport
import Testing

/// `ticket-load` against the real server and Redis: 5000 connections racing a small pool, then the `--full` suite.
@Suite(.serialized, .timeLimit(.minutes(5))) struct LoadTesterTests {
    /// `ticket-load`, built beside `ticketd`.
    static var executable: String {
        URL(fileURLWithPath: TicketdProcess.executable).deletingLastPathComponent().appendingPathComponent("ticket-load").path
    }

    /// Runs `ticket-load` with `REDIS_URL` set, so that its `ticketd audit` reads the server's Redis.
    private func runTester(_ arguments: [String], redisURL: String, directory: String) async throws -> (status: Int32, output: String) {
        let output = directory + "/ticket-load-\(UUID().uuidString).out"
        let process = try ChildProcess(
            executable: Self.executable,
            arguments: arguments + ["--ticketd", TicketdProcess.executable],
            environment: ["REDIS_URL": redisURL],
            standardOutput: output,
            standardError: output
        )
        let termination = await process.exit()
        return (termination.status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    @Test func fiveThousandConnectionsRaceAPoolToSellOutAndTheAuditPasses() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let seeded = try await TicketdProcess.run(["seed", "1", "2000"], redisURL: redis.url, directory: redis.directory)
        #expect(seeded.status == 0, "\(seeded.output)")
        // 5000 purchases in flight at once keep a debug server's event loops busy for many seconds, long enough
        // for its 2 s Redis timeout to leave purchases unknown (answered 503 although they sold); this test is
        // about the tester, so the server waits for Redis as long as it takes.
        let server = try await TicketdProcess.serve(
            redisURL: redis.url,
            directory: redis.directory,
            environment: ["REDIS_COMMAND_TIMEOUT_MS": "60000"]
        )
        defer { server.stop() }

        // Every connection open first, then one purchase each, all at once: 2000 win, 3000 hear sold out. A debug
        // server on a busy machine accepts and answers slowly, so both timeouts are generous: every answer is read.
        let json = redis.directory + "/report.json"
        let (status, output) = try await self.runTester(
            [
                "--url", "http://127.0.0.1:\(server.port)", "--connections", "5000", "--requests", "5000", "--timeout", "120",
                "--connect-timeout", "60", "--json", json,
            ],
            redisURL: redis.url,
            directory: redis.directory
        )
        #expect(status == 0, "\(output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let statuses = report["statusCounts"] as? [String: Int]
        #expect(statuses == ["201": 2000, "409": 3000], "\(output)")
        #expect(report["connectionsOpened"] as? Int == 5000, "\(output)")
        #expect(report["connectedBeforeStart"] as? Int == 5000, "\(output)")
        let audit = try #require(report["audit"] as? [String: Any])
        #expect(audit["distinctTickets"] as? Int == 2000)
        #expect((audit["redis"] as? [String: Any])?["passed"] as? Bool == true, "\(output)")
        #expect(output.contains("verdict: PASS"))
    }

    @Test func theFullSuitePassesOnAHealthyServer() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let server = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory)
        defer { server.stop() }

        let (status, output) = try await self.runTester(
            ["--url", "http://127.0.0.1:\(server.port)", "--full", "--connections", "200"],
            redisURL: redis.url,
            directory: redis.directory
        )
        #expect(status == 0, "\(output)")
        #expect(output.components(separatedBy: "\nPASS  ").count == 6, "five verdicts: \(output)")
        #expect(output.contains("suite: PASS, 5 scenarios"))
    }
}
