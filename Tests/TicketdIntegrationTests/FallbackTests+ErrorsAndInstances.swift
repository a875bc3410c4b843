import Foundation
import RedisTestSupport
import Testing
import TicketHTTP

/// Issue 6, tests 3 and 4, and the fallback's admin routes.
extension FallbackTests {
    static let adminToken = "fallback-test-token"

    @Test func redisAnsweringErrorsNeverSellsATicketTwice() async throws {
        let (redis, server, client) = try await Self.serveWithFullEscrow(tickets: 10000)
        defer { redis.stop() }
        defer { server.stop() }

        let log = SaleLog()
        let buyers = Task { await log.buy(event: "1", through: client, buyers: 50) }
        try await waitUntil(timeout: .seconds(60), "200 sales through Redis") { await log.acknowledged.count >= 200 }
        // OOM: purchase.lua (a `#!lua` script) is refused whole before it runs, so nothing is sold through Redis:
        // purchases sell from escrow, and answer 503 whenever it is empty.
        _ = try await redis.command(["CONFIG", "SET", "maxmemory", "1"])
        let refusedBeforeOOM = await log.statuses[503] ?? 0
        try await waitUntil(timeout: .seconds(30), "purchases refused under OOM") { await (log.statuses[503] ?? 0) >= refusedBeforeOOM + 100 }
        _ = try await redis.command(["CONFIG", "SET", "maxmemory", "0"])
        // NOREPLICAS: every write is refused, escrow top-ups included: the escrow runs out and purchases answer 503.
        _ = try await redis.command(["CONFIG", "SET", "min-replicas-to-write", "1"])
        let refusedBefore = await log.statuses[503] ?? 0
        try await waitUntil(timeout: .seconds(30), "purchases refused while Redis answers errors") {
            await (log.statuses[503] ?? 0) >= refusedBefore + 100
        }
        _ = try await redis.command(["CONFIG", "SET", "min-replicas-to-write", "0"])
        let duringErrors = await log.acknowledged.count
        try await waitUntil(timeout: .seconds(60), "sales again once Redis accepts writes") { await log.acknowledged.count >= duringErrors + 200 }
        await log.stop()
        await buyers.value

        let sales = await log.acknowledged
        print("fallback figures (OOM, NOREPLICAS): \(sales.count) acknowledged, statuses \(await log.statuses)")
        #expect(Set(sales.map(\.ticket)).count == sales.count, "no ticket acknowledged twice")
        #expect(try await redis.ledgerTickets(event: "1", purchases: sales.map(\.purchase)) == sales.map(\.ticket))
        let audit = try await TicketdProcess.run(["audit"], redisURL: redis.url, directory: redis.directory)
        #expect(audit.status == 0, "\(audit.output)")
    }

    @Test func twoInstancesOnOneRedisNeverSellTheSameTicket() async throws {
        _ = FileDescriptorLimit.raiseToHardLimit()
        let redis = try await Self.durableRedis()
        defer { redis.stop() }
        #expect(try await TicketdProcess.run(["seed", "1", "20000"], redisURL: redis.url, directory: redis.directory).status == 0)
        var servers: [TicketdProcess] = []
        defer { for server in servers { server.stop() } }
        for name in ["inst-a", "inst-b"] {
            let directory = redis.directory + "/" + name
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var environment = Self.environment
            environment["INSTANCE_ID"] = name
            environment["ADMIN_TOKEN"] = Self.adminToken
            environment["FALLBACK_GONE_AFTER_MS"] = "1000"
            servers.append(try await TicketdProcess.serve(redisURL: redis.url, directory: directory, environment: environment))
        }
        let clients = servers.map { RawHTTPClient(host: "127.0.0.1", port: $0.port) }
        for client in clients {
            try await waitUntil(timeout: .seconds(20), "escrow of 1 % of 20000") { try await client.fallback()?.escrow["1"] == 200 }
        }

        let log = SaleLog()
        let buyers = clients.map { client in Task { await log.buy(event: "1", through: client, buyers: 150) } }
        try await waitUntil(timeout: .seconds(60), "1000 sales through Redis") { await log.acknowledged.count >= 1000 }
        redis.kill()
        for client in clients {
            try await waitUntil(timeout: .seconds(10), "fallback mode") { try await client.fallback()?.mode == "fallback" }
            try await waitUntil(timeout: .seconds(30), "the escrow sold") { try await client.fallback()?.escrow["1"] == 0 }
        }
        try await redis.restart()
        for client in clients {
            try await client.waitUntilSettled()
        }
        let afterSettle = await log.acknowledged.count
        try await waitUntil(timeout: .seconds(60), "sales through Redis again") { await log.acknowledged.count >= afterSettle + 500 }
        await log.stop()
        for buyer in buyers { await buyer.value }

        let sales = await log.acknowledged
        print("fallback figures (two instances): \(sales.count) acknowledged, statuses \(await log.statuses)")
        #expect(Set(sales.map(\.ticket)).count == sales.count, "no ticket acknowledged by both instances, or twice by one")
        #expect(try await redis.ledgerTickets(event: "1", purchases: sales.map(\.purchase)) == sales.map(\.ticket))
        let audit = try await TicketdProcess.run(["audit"], redisURL: redis.url, directory: redis.directory)
        #expect(audit.status == 0, "\(audit.output)")
        // The report counts the instances' escrows, without which its figures would not add up to the seeded.
        #expect(audit.output.contains("\tescrowed ") && !audit.output.contains("\tescrowed 0\t"), "\(audit.output)")

        // The admin routes: a top-up on request, and the escrow of instance b, killed while settled, released by a.
        let admin = [("Authorization", "Bearer \(Self.adminToken)")]
        let seeded = try await clients[0].send("POST", "/admin/seed-fallback", headers: admin)
        #expect(seeded.status == 200, "\(seeded.body)")
        #expect(try await clients[0].fallback()?.escrow["1"] == 200)
        #expect(try await clients[0].send("POST", "/admin/escrow/release?instance=inst-b").status == 401)
        servers[1].process.killAndWait()
        let early = try await clients[0].send("POST", "/admin/escrow/release?instance=inst-b", headers: admin)
        #expect(early.status == 409 && early.body.contains("looks alive"), "\(early.body)")
        // A parameter given twice is refused, not read as its first value (`force=false` here).
        let twice = try await clients[0].send("POST", "/admin/escrow/release?instance=inst-b&force=false&force=true", headers: admin)
        #expect(twice.status == 400 && twice.body.contains("force is given 2 times"), "\(twice.body)")
        #expect(try await clients[0].send("POST", "/admin/escrow/release?instance=inst-a", headers: admin).status == 409)
        var released: RawHTTPClient.Response?
        try await waitUntil(timeout: .seconds(10), "b counts as gone") {
            released = try await clients[0].send("POST", "/admin/escrow/release?instance=inst-b", headers: admin)
            return released?.status != 409
        }
        #expect(released?.status == 200 && released?.body.contains("\"released\":true") == true, "\(released?.body ?? "")")
        #expect(try await redis.command(["EXISTS", "event:{1}:escrow:inst-b"]).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let afterRelease = try await TicketdProcess.run(["audit"], redisURL: redis.url, directory: redis.directory)
        #expect(afterRelease.status == 0, "\(afterRelease.output)")
    }

    /// `seed --reset` never deletes an event while an instance holds an escrow of it, whose copy could sell, while
    /// Redis is out of its reach, tickets that the new pool holds again: a running instance gives its escrow back
    /// first, and while a killed one's stays in Redis the reset is refused and deletes nothing.
    @Test func aResetWaitsForRunningInstancesAndIsRefusedWhileAKilledOnesEscrowStays() async throws {
        let redis = try await Self.durableRedis()
        defer { redis.stop() }
        let seed = ["seed", "1", "1000", "--per-user-limit", "0"]
        #expect(try await TicketdProcess.run(seed, redisURL: redis.url, directory: redis.directory).status == 0)
        let first = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory, environment: Self.environment)
        var client = RawHTTPClient(host: "127.0.0.1", port: first.port)
        try await waitUntil(timeout: .seconds(20), "escrow of 1 % of 1000") { try await client.fallback()?.escrow["1"] == 10 }
        _ = try await client.buyOrFail(event: "1")

        let reset = try await TicketdProcess.run(seed + ["--reset"], redisURL: redis.url, directory: redis.directory)
        #expect(reset.status == 0, "\(reset.output)")
        #expect(try await redis.command(["HLEN", "event:{1}:purchases"]).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        try await waitUntil(timeout: .seconds(20), "escrow taken from the new pool") { try await client.fallback()?.escrow["1"] == 10 }
        #expect(try await TicketdProcess.run(["audit"], redisURL: redis.url, directory: redis.directory).status == 0)

        first.process.killAndWait()
        first.stop()
        let refused = try await TicketdProcess.run(seed + ["--reset", "--escrow-timeout", "1"], redisURL: redis.url, directory: redis.directory)
        #expect(refused.status != 0 && refused.output.contains("refused, nothing deleted"), "\(refused.output)")
        #expect(try await redis.command(["LLEN", "event:{1}:tickets"]).trimmingCharacters(in: .whitespacesAndNewlines) == "990")

        // Restarted on its files, the instance finds its escrow, and gives it back when the next reset asks.
        let second = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory, environment: Self.environment)
        defer { second.stop() }
        client = RawHTTPClient(host: "127.0.0.1", port: second.port)
        try await waitUntil(timeout: .seconds(20), "the escrow found again") { try await client.fallback()?.escrow["1"] == 10 }
        let again = try await TicketdProcess.run(seed + ["--reset"], redisURL: redis.url, directory: redis.directory)
        #expect(again.status == 0, "\(again.output)")
        try await waitUntil(timeout: .seconds(20), "escrow taken from the new pool") { try await client.fallback()?.escrow["1"] == 10 }
        let audit = try await TicketdProcess.run(["audit"], redisURL: redis.url, directory: redis.directory)
        #expect(audit.status == 0, "\(audit.output)")
    }

    /// Seeds event 1 with 200 tickets, serves it with `FALLBACK_REFRESH_MS` `refreshMillis`, moves three tickets to
    /// the escrow of instance `ghost` (crashed, or cut off from Redis) and sells the other 197: the pool's 195, and
    /// this instance's own escrow of 2, given back as the pool runs low or empties. Then runs `body` with Redis, a
    /// client of the server and the tickets sold.
    static func withAGhostHoldingTheLastThreeTickets(
        refreshMillis: Int,
        _ body: (RedisServerFixture, RawHTTPClient, [String]) async throws -> Void
    ) async throws {
        let redis = try await Self.durableRedis()
        defer { redis.stop() }
        let seeded = try await TicketdProcess.run(["seed", "1", "200", "--per-user-limit", "0"], redisURL: redis.url, directory: redis.directory)
        #expect(seeded.status == 0, "\(seeded.output)")
        var environment = Self.environment
        environment["FALLBACK_REFRESH_MS"] = "\(refreshMillis)"
        let server = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory, environment: environment)
        defer { server.stop() }
        let client = RawHTTPClient(host: "127.0.0.1", port: server.port)
        try await waitUntil(timeout: .seconds(20), "escrow of 1 % of 200") { try await client.fallback()?.escrow["1"] == 2 }
        for _ in 0..<3 { _ = try await redis.command(["LMOVE", "event:{1}:tickets", "event:{1}:escrow:ghost", "RIGHT", "LEFT"]) }
        _ = try await redis.command(["SADD", "event:{1}:escrows", "ghost"])
        var sold: [String] = []
        for _ in 0..<197 { sold.append(try await client.buyOrFail(event: "1").ticket) }
        try await body(redis, client, sold)
        let audit = try await TicketdProcess.run(["audit"], redisURL: redis.url, directory: redis.directory)
        #expect(audit.status == 0, "\(audit.output)")
    }

    /// Instance `ghost` gives its three tickets back.
    static func returnTheGhostsTickets(_ redis: RedisServerFixture) async throws {
        for _ in 0..<3 { _ = try await redis.command(["LMOVE", "event:{1}:escrow:ghost", "event:{1}:tickets", "LEFT", "RIGHT"]) }
        _ = try await redis.command(["SREM", "event:{1}:escrows", "ghost"])
    }

    /// No buyer hears sold out while another instance's escrow holds tickets of the event: the server asks again
    /// for three refresh intervals while that escrow goes back, then answers 503 with `Retry-After`; once the
    /// escrow is back, its tickets sell, and only then is the event sold out.
    @Test func soldOutWaitsForTheTicketsInOtherInstancesEscrows() async throws {
        try await Self.withAGhostHoldingTheLastThreeTickets(refreshMillis: 300) { redis, client, sold in
            let held = try await client.send("POST", "/buy/1")
            #expect(held.status == 503 && held.head.lowercased().contains("retry-after: 1"), "\(held.head)")
            #expect(held.body.contains("escrow"), "\(held.body)")

            try await Self.returnTheGhostsTickets(redis)
            var sold = sold
            for _ in 0..<3 { sold.append(try await client.buyOrFail(event: "1").ticket) }
            let soldOut = try await client.send("POST", "/buy/1")
            #expect(soldOut.status == 409, "\(soldOut.body)")
            #expect(Set(sold).count == 200, "every ticket sold once")
        }
    }

    /// Many buyers waiting for the same escrow cost Redis one purchase every 50 ms, not one each: the first asks
    /// for all, and the others ask again only once its answer changes, which they hear at once.
    @Test func buyersWaitingForAnEscrowAskRedisTogether() async throws {
        // Buyers wait up to three refresh intervals: 6 s, far longer than this test needs them to.
        try await Self.withAGhostHoldingTheLastThreeTickets(refreshMillis: 2000) { redis, client, sold in
            let buyers = 50
            let answers = Task {
                try await withThrowingTaskGroup(of: RawHTTPClient.Response.self) { group in
                    for _ in 0..<buyers { group.addTask { try await client.send("POST", "/buy/1") } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            try await waitUntil(timeout: .seconds(5), "\(buyers) buyers waiting") { try await client.waitingBuyers() == buyers }
            let evalsha = { try await Int(redis.commandStats()["evalsha"]?["calls"] ?? "0") ?? 0 }
            let callsBefore = try await evalsha()
            let clock = ContinuousClock()
            let start = clock.now
            try await waitUntil(timeout: .seconds(5), "ten more purchase calls") { try await evalsha() >= callsBefore + 10 }
            let tenCalls = clock.now - start
            // Nine intervals at least (the first call may follow the count's read at once), of about 50 ms each: 394 ms
            // on a loaded machine; a call per buyer would make the ten in a few milliseconds.
            #expect(tenCalls >= .milliseconds(300), "10 calls in \(tenCalls): about one per 50 ms, not one per buyer")
            #expect(try await client.waitingBuyers() == buyers)

            try await Self.returnTheGhostsTickets(redis)
            let responses = try await answers.value
            let waited = clock.now - start
            #expect(waited < .seconds(4), "the buyers heard of the returned tickets at once, not at the end of their wait (\(waited))")
            let statuses = Dictionary(grouping: responses, by: \.status).mapValues(\.count)
            #expect(statuses == [201: 3, 409: buyers - 3], "\(statuses)")
            let sold = sold + responses.compactMap { SaleLog.sale($0.body)?.ticket }
            #expect(Set(sold).count == 200, "every ticket sold once")
            #expect(try await client.waitingBuyers() == 0)
        }
    }
}

extension RawHTTPClient {
    /// The gauge `ticketd_fallback_escrow_waiting_buyers` of a Prometheus scrape.
    func waitingBuyers() async throws -> Int? {
        let scrape = try await self.send("GET", "/metrics")
        let line = scrape.body.split(separator: "\n").first { $0.hasPrefix("ticketd_fallback_escrow_waiting_buyers ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) }
    }
}
