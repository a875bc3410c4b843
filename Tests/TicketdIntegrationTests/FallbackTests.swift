import Foundation
import RedisTestSupport
import Testing
import TicketHTTP

/// Redis fails under load; the real server keeps selling from its escrow, settles when Redis is back, and never
/// sells a ticket twice (issue 6, tests 1, 2 and 5).
@Suite(.serialized) struct FallbackTests {
    /// The Redis of these tests keeps an AOF with `appendfsync always`, so a restart after SIGKILL loses nothing.
    static func durableRedis() async throws -> RedisServerFixture {
        try await RedisServerFixture.start(arguments: ["--appendonly", "yes", "--appendfsync", "always"])
    }

    static let environment = ["FALLBACK_REFRESH_MS": "100", "REDIS_COMMAND_TIMEOUT_MS": "300"]

    /// A durable Redis seeded with `tickets` tickets of event 1, and a server on it whose escrow holds its 1 %.
    static func serveWithFullEscrow(tickets: Int) async throws -> (redis: RedisServerFixture, server: TicketdProcess, client: RawHTTPClient) {
        let redis = try await Self.durableRedis()
        do {
            #expect(try await TicketdProcess.run(["seed", "1", "\(tickets)"], redisURL: redis.url, directory: redis.directory).status == 0)
            let server = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory, environment: Self.environment)
            let client = RawHTTPClient(host: "127.0.0.1", port: server.port)
            do {
                try await waitUntil(timeout: .seconds(20), "escrow of 1 % of \(tickets)") { try await client.fallback()?.escrow["1"] == tickets / 100 }
            } catch {
                server.stop()
                throw error
            }
            return (redis, server, client)
        } catch {
            redis.stop()
            throw error
        }
    }

    @Test func killingRedisMidRunKeepsSellingFromEscrowAndSettlesExactly() async throws {
        _ = FileDescriptorLimit.raiseToHardLimit()
        let (redis, server, client) = try await Self.serveWithFullEscrow(tickets: 20000)
        defer { redis.stop() }
        defer { server.stop() }

        let log = SaleLog()
        // 400 buyers, each purchase on a connection of its own. 5000 took 220 s on two shared cores, and the server,
        // starved of CPU, switched to escrow before the kill (a PING unanswered for 600 ms): see the issue 6 notes.
        let buyers = Task { await log.buy(event: "1", through: client, buyers: 400) }
        try await waitUntil(timeout: .seconds(60), "1000 sales through Redis") { await log.acknowledged.count >= 1000 }

        let killedAt = Date()
        let serverErrorsBeforeKill = await log.serverErrors
        redis.kill()
        try await waitUntil(timeout: .seconds(10), "fallback mode") { try await client.fallback()?.mode == "fallback" }
        let switchedAt = try #require(try await client.fallback()).since
        try await waitUntil(timeout: .seconds(30), "the escrow sold") { try await client.fallback()?.escrow["1"] == 0 }
        let soldDuringOutage = try #require(try await client.fallback()).fallbackSales
        let serverErrorsWhileEscrowLasted = await log.serverErrors - serverErrorsBeforeKill

        let restartedAt = Date()
        try await redis.restart()
        try await waitUntil(timeout: .seconds(30), "settled, back to Redis") {
            guard let status = try await client.fallback() else { return false }
            return status.mode == "redis" && status.journalBacklog == 0
        }
        let settledAt = Date()
        let afterSettle = await log.acknowledged.count
        try await waitUntil(timeout: .seconds(60), "sales through Redis again") { await log.acknowledged.count >= afterSettle + 500 }
        await log.stop()
        await buyers.value

        let sales = await log.acknowledged
        let statuses = await log.statuses
        let serverErrors = statuses.filter { $0.key >= 500 }.values.reduce(0, +)
        print(
            "fallback figures: acknowledged during outage \(soldDuringOutage), total \(sales.count), statuses \(statuses), 5xx \(serverErrors)"
                + " (\(serverErrorsWhileEscrowLasted) between the kill and the escrow's last ticket),"
                + " switch \(Int(Double(switchedAt) - killedAt.timeIntervalSince1970 * 1000)) ms,"
                + " settle \(Int(settledAt.timeIntervalSince(restartedAt) * 1000)) ms after restart"
        )
        #expect(soldDuringOutage == 200, "the whole escrow was sold during the outage")
        #expect(Set(sales.map(\.ticket)).count == sales.count, "no ticket acknowledged twice")
        #expect(Set(sales.map(\.purchase)).count == sales.count)
        let ledger = try await redis.ledgerTickets(event: "1", purchases: sales.map(\.purchase))
        #expect(ledger == sales.map(\.ticket), "every acknowledged purchase is in the ledger")
        let audit = try await TicketdProcess.run(["audit"], redisURL: redis.url, directory: redis.directory)
        #expect(audit.status == 0, "\(audit.output)")
    }

    @Test func aHungRedisSwitchesToFallbackWithinASecondAndSettlesWhenItWakes() async throws {
        let (redis, server, client) = try await Self.serveWithFullEscrow(tickets: 10000)
        defer { redis.stop() }
        defer { server.stop() }

        let log = SaleLog()
        let buyers = Task { await log.buy(event: "1", through: client, buyers: 50) }
        try await waitUntil(timeout: .seconds(60), "200 sales through Redis") { await log.acknowledged.count >= 200 }
        let suspendedAt = Date()
        redis.suspend()
        try await waitUntil(timeout: .seconds(10), "fallback mode") { try await client.fallback()?.mode == "fallback" }
        let switchMs = Int(Double(try #require(try await client.fallback()).since) - suspendedAt.timeIntervalSince1970 * 1000)
        try await waitUntil(timeout: .seconds(30), "sales from escrow") { try await client.fallback()?.fallbackSales ?? 0 >= 50 }
        redis.resume()
        try await waitUntil(timeout: .seconds(30), "settled, back to Redis") {
            guard let status = try await client.fallback() else { return false }
            return status.mode == "redis" && status.journalBacklog == 0
        }
        await log.stop()
        await buyers.value
        let statuses = await log.statuses
        print("fallback figures (SIGSTOP): switch \(switchMs) ms after the suspend, statuses \(statuses)")
        // A PING every 100 ms that goes unanswered for 600 ms (FALLBACK_PROBE_*) switches to escrow.
        #expect(switchMs <= 1000, "in fallback within a second of the hang")
        let sales = await log.acknowledged
        #expect(Set(sales.map(\.ticket)).count == sales.count, "no ticket acknowledged twice")
        #expect(try await redis.ledgerTickets(event: "1", purchases: sales.map(\.purchase)) == sales.map(\.ticket))
        let audit = try await TicketdProcess.run(["audit"], redisURL: redis.url, directory: redis.directory)
        #expect(audit.status == 0, "\(audit.output)")
    }

    @Test func aKilledInstanceFindsItsEscrowAndJournalAndLosesNothing() async throws {
        let redis = try await Self.durableRedis()
        defer { redis.stop() }
        #expect(try await TicketdProcess.run(["seed", "1", "10000"], redisURL: redis.url, directory: redis.directory).status == 0)
        let first = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory, environment: Self.environment)
        var client = RawHTTPClient(host: "127.0.0.1", port: first.port)
        try await waitUntil(timeout: .seconds(20), "escrow of 1 % of 10000") { try await client.fallback()?.escrow["1"] == 100 }
        redis.kill()
        try await waitUntil(timeout: .seconds(10), "fallback mode") { try await client.fallback()?.mode == "fallback" }
        var sales: [SaleLog.Sale] = []
        for _ in 0..<30 { sales.append(try await client.buyOrFail(event: "1")) }
        first.process.killAndWait()
        first.stop()

        // Back up with Redis still down: it sells from the escrow it finds on disk, after the journaled sales.
        let second = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory, environment: Self.environment)
        defer { second.stop() }
        client = RawHTTPClient(host: "127.0.0.1", port: second.port)
        #expect(try await client.fallback()?.journalBacklog == 30)
        for _ in 0..<20 { sales.append(try await client.buyOrFail(event: "1")) }
        #expect(Set(sales.map(\.ticket)).count == 50, "no escrowed ticket sold twice across the restart")

        try await redis.restart()
        try await waitUntil(timeout: .seconds(30), "settled, back to Redis") {
            guard let status = try await client.fallback() else { return false }
            return status.mode == "redis" && status.journalBacklog == 0
        }
        #expect(try await redis.ledgerTickets(event: "1", purchases: sales.map(\.purchase)) == sales.map(\.ticket))
        let audit = try await TicketdProcess.run(["audit"], redisURL: redis.url, directory: redis.directory)
        #expect(audit.status == 0, "\(audit.output)")
    }
}

/// Buyers in a loop, and every answer they got.
actor SaleLog {
    struct Sale: Sendable {
        var purchase: String
        var ticket: String
    }

    private(set) var acknowledged: [Sale] = []
    private(set) var statuses: [Int: Int] = [:]
    /// Purchases answered 5xx.
    var serverErrors: Int { self.statuses.filter { $0.key >= 500 }.values.reduce(0, +) }
    /// Every purchase answered, whatever the answer.
    var answered: Int { self.statuses.values.reduce(0, +) }
    private var stopped = false

    func stop() { self.stopped = true }

    private func record(_ response: RawHTTPClient.Response?) -> Bool {
        self.statuses[response?.status ?? 0, default: 0] += 1
        guard let response, response.status == 201, let sale = SaleLog.sale(response.body) else { return false }
        self.acknowledged.append(sale)
        return true
    }

    /// `buyers` loops of purchases until ``stop()``; a refused buyer waits 50 ms before trying again, as a client
    /// honouring `Retry-After` would (pacing the load, not synchronising the test).
    nonisolated func buy(event: String, through client: RawHTTPClient, buyers: Int) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<buyers {
                group.addTask {
                    while await !self.stopped {
                        let response = try? await client.send("POST", "/buy/\(event)")
                        if await !self.record(response) { try? await Task.sleep(for: .milliseconds(50)) }
                    }
                }
            }
        }
    }

    static func sale(_ body: String) -> Sale? {
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let purchase = json["purchaseId"] as? String, let ticket = json["ticketId"] as? String
        else { return nil }
        return Sale(purchase: purchase, ticket: ticket)
    }
}

/// The fallback part of `/health`.
struct FallbackHealth {
    var mode: String
    var since: Int64
    var escrow: [String: Int]
    var journalBacklog: Int
    var fallbackSales: Int
}

extension RawHTTPClient {
    func fallback() async throws -> FallbackHealth? {
        let response = try await self.send("GET", "/health")
        guard let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
            let store = json["store"] as? [String: Any], let fallback = store["fallback"] as? [String: Any]
        else { return nil }
        return FallbackHealth(
            mode: fallback["mode"] as? String ?? "",
            since: (fallback["since"] as? NSNumber)?.int64Value ?? 0,
            escrow: (fallback["escrow"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue },
            journalBacklog: (fallback["journalBacklog"] as? NSNumber)?.intValue ?? -1,
            fallbackSales: (fallback["fallbackSales"] as? NSNumber)?.intValue ?? -1
        )
    }

    func buyOrFail(event: String) async throws -> SaleLog.Sale {
        let response = try await self.send("POST", "/buy/\(event)")
        guard response.status == 201, let sale = SaleLog.sale(response.body) else {
            throw TicketdProcess.ProcessError("purchase answered \(response.status): \(response.body)")
        }
        return sale
    }
}

extension RedisServerFixture {
    /// The ticket the ledger records for each purchase id ("" when missing), in order.
    func ledgerTickets(event: String, purchases: [String]) async throws -> [String] {
        var tickets: [String] = []
        var index = 0
        while index < purchases.count {
            let chunk = Array(purchases[index..<min(index + 500, purchases.count)])
            let output = try await self.command(["HMGET", "event:{\(event)}:purchases"] + chunk)
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
            tickets += lines.map { String($0.split(separator: " ", omittingEmptySubsequences: false).first ?? "") }
            index += chunk.count
        }
        return tickets
    }
}
