import Foundation
import RedisTestSupport
import Testing

/// A live scrape of the real server: valid for Prometheus, with per-event figures read from Redis.
@Suite(.serialized, .timeLimit(.minutes(5))) struct MetricsScrapeTests {
    @Test func aLiveScrapePassesPromtoolAndCountsTheSales() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let seeded = try await TicketdProcess.run(["seed", "2", "100"], redisURL: redis.url, directory: redis.directory)
        #expect(seeded.status == 0, "\(seeded.output)")
        let server = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory)
        defer { server.stop() }
        let client = RawHTTPClient(host: "127.0.0.1", port: server.port)
        for _ in 0..<3 { #expect(try await client.send("POST", "/buy/1").status == 201) }
        #expect(try await client.send("POST", "/buy/nope").status == 404)

        let scrape = try await client.send("GET", "/metrics")
        #expect(scrape.status == 200)
        let lines = scrape.body.split(separator: "\n").map(String.init)
        #expect(lines.contains(#"ticketd_event_tickets_sold{event="1"} 3"#), "\(lines.filter { $0.hasPrefix("ticketd_event") })")
        #expect(lines.contains(#"ticketd_event_tickets_available{event="1"} 97"#))
        #expect(lines.contains(#"ticketd_event_tickets_sold{event="2"} 0"#))

        let file = redis.directory + "/metrics.txt"
        try scrape.body.write(toFile: file, atomically: true, encoding: .utf8)
        let report = redis.directory + "/promtool.out"
        let promtool = try ChildProcess(
            executable: "/bin/sh",
            arguments: ["-c", "promtool check metrics < '\(file)'"],
            standardOutput: report,
            standardError: report
        )
        let termination = await promtool.exit()
        let output = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
        #expect(termination.status == 0 && output.isEmpty, "promtool check metrics: \(output)")
    }
}
