import Foundation
import RedisTestSupport
import Testing

/// The real server exporting its spans over OTLP/HTTP to a receiver in the test: one purchase followed from the
/// caller's `traceparent` through the request and the Redis call to its PDF ticket. A group of its own in
/// `make test` (`--filter TraceExportTests`).
@Suite(.serialized, .timeLimit(.minutes(5))) struct TraceExportTests {
    @Test func aPurchaseIsTracedFromItsCallerThroughRedisToItsPDF() async throws {
        // A ratio sampler that starts no trace of its own: only a caller's sampled `traceparent` is traced.
        let sampler = ["OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"]
        let traced = try await TracedServer.start(tickets: 10, environment: ["LOG_LEVEL": "info", "PDF_WORKERS": "1"].merging(sampler) { $1 })
        defer { traced.stop() }
        let (receiver, server) = (traced.receiver, traced.server)

        let client = RawHTTPClient(host: "127.0.0.1", port: server.port)
        let untraced = try await client.send("POST", "/buy/1")
        #expect(untraced.status == 201 && Self.header("traceresponse", in: untraced.head) == nil, "\(untraced.head)")
        let untracedPurchase = try JSONSerialization.jsonObject(with: Data(untraced.body.utf8)) as? [String: Any]
        let untracedID = try #require(untracedPurchase?["purchaseId"] as? String)

        let traceID = Self.randomHex(bytes: 16)
        let callerSpanID = Self.randomHex(bytes: 8)
        let response = try await client.send("POST", "/buy/1", headers: [("traceparent", "00-\(traceID)-\(callerSpanID)-01")])
        #expect(response.status == 201, "\(response.body)")
        let purchase = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
        let purchaseID = try #require(purchase?["purchaseId"] as? String)

        var spans: [OTLPReceiver.Span] = []
        var received: [OTLPReceiver.Span] = []
        try await waitUntil(timeout: .seconds(30), "the purchase's request, Redis and PDF spans and the escrow's top-up reach the receiver") {
            received = try receiver.spans()
            spans = received.filter { $0.traceID == traceID }
            return Set(spans.map(\.name)).isSuperset(of: ["/buy/{eventId}", "EVALSHA purchase.lua", "render ticket PDF"])
                && received.contains { $0.name == "top up escrow" }
        }
        let names = spans.map(\.name)
        #expect(!received.contains { $0.attributes["ticketd.purchase_id"] == untracedID }, "the purchase without a traceparent is not traced")

        // The request continues the caller's trace, as a server span under the caller's span.
        let request = try #require(spans.first { $0.name == "/buy/{eventId}" }, "\(names)")
        #expect(request.kind == .server)
        #expect(request.parentSpanID == callerSpanID)
        #expect(request.service == "ticketd")
        #expect(request.attributes["http.request.method"] == "POST")
        #expect(request.attributes["http.route"] == "/buy/{eventId}")
        #expect(request.attributes["http.response.status_code"] == "201")
        #expect(request.attributes["ticketd.event_id"] == "1")
        #expect(request.attributes["ticketd.purchase_id"] == purchaseID)

        // The Redis call is a client span under the request.
        let script = try #require(spans.first { $0.name == "EVALSHA purchase.lua" }, "\(names)")
        #expect(script.kind == .client)
        #expect(script.parentSpanID == request.spanID)
        #expect(script.attributes["db.system.name"] == "redis")
        #expect(script.attributes["ticketd.redis.script"] == "purchase.lua")
        #expect(script.attributes["ticketd.purchase.outcome"] == "sold")
        #expect(script.attributes["ticketd.event_id"] == "1")
        #expect(script.attributes["ticketd.fallback"] == "false")

        // The PDF, rendered later in the background, joins the same trace under the request that sold it.
        let render = try #require(spans.first { $0.name == "render ticket PDF" }, "\(names)")
        #expect(render.kind == .consumer)
        #expect(render.parentSpanID == request.spanID)
        #expect(render.attributes["ticketd.purchase_id"] == purchaseID)

        // The response names the trace and the server's span; the request's log lines carry the trace id.
        #expect(Self.header("traceresponse", in: response.head) == "00-\(traceID)-\(request.spanID)-01")
        let purchaseLine = server.output.split(separator: "\n").first { $0.contains(#""msg":"purchase""#) && $0.contains(purchaseID) }
        #expect(purchaseLine?.contains(#""trace_id":"\#(traceID)""#) == true, "\(purchaseLine ?? "no purchase line in: \(server.output)")")

        // At start the server moved 1 % of the pool (one ticket) into its escrow: a trace of its own.
        let topUp = try #require(received.first { $0.name == "top up escrow" })
        #expect(topUp.parentSpanID.isEmpty)
        #expect(topUp.attributes["ticketd.event_id"] == "1")
        #expect(topUp.attributes["ticketd.escrow.tickets"] == "1")
        #expect(topUp.attributes["ticketd.escrow.size"] == "1")
    }

    /// With Redis killed the purchase is sold from escrow under the request's span; when Redis is back the sale is
    /// settled in a trace of its own, one `settle.lua` call under it.
    @Test func aSaleFromEscrowAndItsSettlingAreTraced() async throws {
        let traced = try await TracedServer.start(
            tickets: 100,
            redisArguments: ["--appendonly", "yes", "--appendfsync", "always"],
            environment: ["FALLBACK_REFRESH_MS": "100", "REDIS_COMMAND_TIMEOUT_MS": "300"]
        )
        defer { traced.stop() }
        let (redis, receiver, server) = (traced.redis, traced.receiver, traced.server)
        let client = RawHTTPClient(host: "127.0.0.1", port: server.port)
        try await waitUntil(timeout: .seconds(20), "an escrow of one ticket") { try await client.fallback()?.escrow["1"] == 1 }

        redis.kill()
        try await waitUntil(timeout: .seconds(10), "fallback mode") { try await client.fallback()?.mode == "fallback" }
        let traceID = Self.randomHex(bytes: 16)
        let response = try await client.send("POST", "/buy/1", headers: [("traceparent", "00-\(traceID)-\(Self.randomHex(bytes: 8))-01")])
        #expect(response.status == 201, "\(response.body)")
        try await redis.restart()
        try await client.waitUntilSettled()

        var spans: [OTLPReceiver.Span] = []
        try await waitUntil(timeout: .seconds(30), "the escrow sale's and the settle's spans reach the receiver") {
            spans = try receiver.spans()
            return Set(spans.map(\.name)).isSuperset(of: ["sell from escrow", "settle fallback sales", "EVALSHA settle.lua"])
        }
        let names = spans.map(\.name)
        let request = try #require(spans.first { $0.traceID == traceID && $0.name == "/buy/{eventId}" }, "\(names)")
        let sale = try #require(spans.first { $0.name == "sell from escrow" }, "\(names)")
        #expect(sale.traceID == traceID)
        #expect(sale.parentSpanID == request.spanID)
        #expect(sale.attributes["ticketd.fallback"] == "true")
        #expect(sale.attributes["ticketd.purchase.outcome"] == "sold")

        let settle = try #require(spans.first { $0.name == "settle fallback sales" }, "\(names)")
        #expect(settle.parentSpanID.isEmpty)
        #expect(settle.attributes["ticketd.fallback.settled"] == "1")
        let script = try #require(spans.first { $0.name == "EVALSHA settle.lua" }, "\(names)")
        #expect(script.kind == .client)
        #expect(script.traceID == settle.traceID)
        #expect(script.parentSpanID == settle.spanID)
        #expect(script.attributes["ticketd.fallback.settle_conflicts"] == "0")
    }

    /// `count` random bytes as lowercase hex, never all zero (an invalid W3C id).
    static func randomHex(bytes count: Int) -> String {
        var bytes = (0..<count).map { _ in UInt8.random(in: 0...255) }
        bytes[0] |= 1
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// A response header's value from the raw head.
    static func header(_ name: String, in head: String) -> String? {
        for line in head.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}

/// A Redis seeded with event 1, an OTLP receiver, and the real server exporting its spans to it.
private struct TracedServer {
    let redis: RedisServerFixture
    let receiver: OTLPReceiver
    let server: TicketdProcess

    /// Starts all three; the server's batch delay is short, so spans reach the receiver within a tenth of a second
    /// and the tests poll, never sleep.
    static func start(tickets: Int, redisArguments: [String] = [], environment: [String: String]) async throws -> TracedServer {
        let redis = try await RedisServerFixture.start(arguments: redisArguments)
        do {
            let seeded = try await TicketdProcess.run(["seed", "1", "\(tickets)"], redisURL: redis.url, directory: redis.directory)
            guard seeded.status == 0 else { throw TicketdProcess.ProcessError("seed failed: \(seeded.output)") }
            let receiver = try await OTLPReceiver.start(directory: redis.directory)
            do {
                let exporting = ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "50"]
                let server = try await TicketdProcess.serve(
                    redisURL: redis.url,
                    directory: redis.directory,
                    environment: exporting.merging(environment) { $1 }
                )
                return TracedServer(redis: redis, receiver: receiver, server: server)
            } catch {
                receiver.stop()
                throw error
            }
        } catch {
            redis.stop()
            throw error
        }
    }

    /// Stops the server, then the receiver and Redis.
    func stop() {
        self.server.stop()
        self.receiver.stop()
        self.redis.stop()
    }
}
