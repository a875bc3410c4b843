import RedisTestSupport
import Testing

/// A healthy Redis and commands that end as they should are nothing to warn about: an operator who alerts on
/// warnings hears of outages, not of every start, seed and stop.
@Suite struct QuietLifecycleTests {
    static let warning = #""level":"warning""#

    @Test func seedAuditAndAServerStartedAndStoppedLogNoWarning() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        for command in [["seed", "1", "10"], ["audit"]] {
            let result = try await TicketdProcess.run(command, redisURL: redis.url, directory: redis.directory)
            #expect(result.status == 0, "\(result.output)")
            #expect(!result.output.contains(Self.warning), "ticketd \(command[0]): \(result.output)")
        }
        // With a signing key, so that the server has no reason of its own to warn.
        let server = try await TicketdProcess.serve(
            redisURL: redis.url,
            directory: redis.directory,
            environment: ["TICKET_SIGNING_KEY": String(repeating: "k", count: 32)]
        )
        server.stop()
        #expect(!server.output.contains(Self.warning), "ticketd serve: \(server.output)")
    }
}
