import RedisTestSupport
import Testing

/// Starting, stopping and failing to start say what happened, at the level it deserves: an operator who alerts on
/// warnings hears of outages, not of every start, seed and stop, and a server that cannot start says why.
@Suite struct ServerLifecycleTests {
    static let warning = #""level":"warning""#
    /// So that the server has no reason of its own to warn.
    static let signingKey = ["TICKET_SIGNING_KEY": String(repeating: "k", count: 32)]

    @Test func seedAuditAndAServerStartedAndStoppedLogNoWarning() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        for command in [["seed", "1", "10"], ["audit"]] {
            let result = try await TicketdProcess.run(command, redisURL: redis.url, directory: redis.directory)
            #expect(result.status == 0, "\(result.output)")
            #expect(!result.output.contains(Self.warning), "ticketd \(command[0]): \(result.output)")
        }
        let server = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory, environment: Self.signingKey)
        server.stop()
        #expect(!server.output.contains(Self.warning), "ticketd serve: \(server.output)")
    }

    @Test func aSecondServerOnTheSamePortExitsSayingTheAddressIsInUse() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let first = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory, environment: Self.signingKey)
        defer { first.stop() }
        var environment = Self.signingKey
        environment["HOST"] = "127.0.0.1"
        environment["PORT"] = "\(first.port)"
        environment["FALLBACK_DIR"] = redis.directory + "/second-data"
        environment["PDF_OUTPUT_DIR"] = redis.directory + "/second-tickets"
        let second = try await TicketdProcess.run(["serve"], redisURL: redis.url, directory: redis.directory, environment: environment)
        #expect(second.status != 0)
        #expect(second.output.contains("cannot listen on 127.0.0.1:\(first.port): the address is in use"), "\(second.output)")
        #expect(!second.output.contains(Self.warning), "\(second.output)")
    }
}
