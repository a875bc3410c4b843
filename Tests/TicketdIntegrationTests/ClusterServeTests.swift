import Foundation
import RedisTestSupport
import Testing

/// The real `ticketd` binary on a 3-primary Redis Cluster, named by a `redis+cluster://` URL.
@Suite(.serialized) struct ClusterServeTests {
    @Test func seedServeBuyAndAuditOnAClusterWithEventsOnEveryShard() async throws {
        let cluster = try await RedisClusterFixture.start()
        defer { cluster.stop() }
        let directory = cluster.nodes[0].directory
        let seeded = try await TicketdProcess.run(["seed", "6", "100"], redisURL: cluster.url, directory: directory)
        #expect(seeded.status == 0, "\(seeded.output)")
        var shards: Set<Int> = []
        for event in 1...6 { shards.insert(try await cluster.owner(of: "event:{\(event)}:tickets").port) }
        #expect(shards.count == 3, "events 1-6 land on every primary")

        let server = try await TicketdProcess.serve(redisURL: cluster.url, directory: directory, environment: ["REDIS_COMMAND_TIMEOUT_MS": "30000"])
        defer { server.stop() }
        let client = RawHTTPClient(host: "127.0.0.1", port: server.port)
        let responses = try await withThrowingTaskGroup(of: (Int, RawHTTPClient.Response).self) { group in
            for index in 0..<720 {
                let event = index % 6 + 1
                group.addTask { (event, try await client.send("POST", "/buy/\(event)", headers: [("Content-Type", "application/json")], body: "{}")) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let statuses = Dictionary(grouping: responses.map(\.1), by: \.status).mapValues(\.count)
        #expect(statuses == [201: 600, 409: 120], "\(responses.first { ![201, 409].contains($0.1.status) }?.1.body ?? "")")
        let tickets = try responses.filter { $0.1.status == 201 }.map { event, response in
            let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
            return "\(event)/\(json?["ticketId"] ?? "?")"
        }
        #expect(Set(tickets).count == 600, "every ticket sold once")

        let audit = try await TicketdProcess.run(["audit"], redisURL: cluster.url, directory: directory)
        #expect(audit.status == 0, "\(audit.output)")
        #expect(audit.output.contains("audit passed"), "\(audit.output)")
        #expect(try await cluster.errorCount("CROSSSLOT") == 0)
    }
}
