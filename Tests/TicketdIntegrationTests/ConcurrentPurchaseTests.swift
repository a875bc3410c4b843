import Foundation
import RedisTestSupport
import Testing
import TicketHTTP

/// The real server on a real socket and a real Redis, raced by thousands of connections at once.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ConcurrentPurchaseTests {
    @Test func fiveThousandConnectionsRaceForTwoThousandTicketsWhileOthersBuyAnotherEvent() async throws {
        // The client side of 6000 connections needs more than the usual 1024 descriptors too.
        _ = FileDescriptorLimit.raiseToHardLimit()
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let seeded = try await TicketdProcess.run(["seed", "2", "2000"], redisURL: redis.url, directory: redis.directory)
        #expect(seeded.status == 0, "\(seeded.output)")
        // This test is about exactness, not deadlines: on a machine loaded by other work a purchase must not
        // time out (and answer 503) while Redis still sells.
        let server = try await TicketdProcess.serve(
            redisURL: redis.url,
            directory: redis.directory,
            environment: ["REDIS_COMMAND_TIMEOUT_MS": "60000"]
        )
        defer { server.stop() }
        let client = RawHTTPClient(host: "127.0.0.1", port: server.port)

        // 5000 buyers for event 1's 2000 tickets, 1000 buyers for event 2, all connected at the same time.
        let responses = try await withThrowingTaskGroup(of: (String, RawHTTPClient.Response).self) { group in
            for index in 0..<6000 {
                let event = index < 5000 ? "1" : "2"
                group.addTask {
                    let body = #"{"userId":"buyer-\#(index)"}"#
                    return (event, try await client.send("POST", "/buy/\(event)", headers: [("Content-Type", "application/json")], body: body))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }

        let first = responses.filter { $0.0 == "1" }.map(\.1)
        let second = responses.filter { $0.0 == "2" }.map(\.1)
        let sold = first.filter { $0.status == 201 }
        let statuses = Dictionary(grouping: responses.map(\.1), by: \.status).mapValues(\.count)
        let unexpected = responses.map(\.1).first { ![201, 409].contains($0.status) }
        #expect(sold.count == 2000, "statuses: \(statuses); for example: \(unexpected?.body ?? "none")")
        #expect(
            first.filter { $0.status == 409 }.count == 3000,
            "everyone else hears sold out; statuses: \(statuses); for example: \(unexpected?.body ?? "none")"
        )
        let refusedSecond = second.first { $0.status != 201 }
        #expect(second.allSatisfy { $0.status == 201 }, "event 2: \(refusedSecond.map { "\($0.status) \($0.body)" } ?? "")")
        let answers = try (sold + second.filter { $0.status == 201 }).map { response in
            let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
            return "\(json?["eventId"] ?? "?")\t\(json?["purchaseId"] ?? "?")\t\(json?["ticketId"] ?? "?")"
        }
        let tickets = answers.map { answer in
            let fields = answer.split(separator: "\t")
            return "\(fields[0])/\(fields[2])"
        }
        #expect(Set(tickets).count == 3000, "every ticket sold once")

        let event = try await client.send("GET", "/events/1")
        #expect(event.body.contains(#""sold":2000"#) && event.body.contains(#""available":0"#), "\(event.body)")
        // Every answer is in the ledger as its buyer heard it; one that is not fails the audit.
        let answersFile = "\(redis.directory)/answers.tsv"
        try Data(answers.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: answersFile))
        let audit = try await TicketdProcess.run(["audit", "--answers", answersFile], redisURL: redis.url, directory: redis.directory)
        #expect(audit.status == 0, "\(audit.output)")
        #expect(audit.output.contains("audit passed") && audit.output.contains("3000 answers as the ledger records them"), "\(audit.output)")
        let told = answers[0].split(separator: "\t")
        // A ticket nobody bought: one that another buyer was told of would fail it twice (told to two purchases).
        let lie = "\(told[0])\t\(told[1])\t999999"
        try Data((answers + [lie]).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: answersFile))
        let refuted = try await TicketdProcess.run(["audit", "--answers", answersFile], redisURL: redis.url, directory: redis.directory)
        #expect(refuted.status == 1, "\(refuted.output)")
        #expect(
            refuted.output.contains("1 answers the ledger does not bear out: purchase \(told[1]) was answered ticket 999999, the ledger has ticket"),
            "\(refuted.output)"
        )
    }
}

/// An event of more unsold tickets than the Redis client's default reply limit (1,048,576 elements) is audited: the
/// audit reads its pool in one reply. Run against the release build (`make test-release-binary`): decoding a reply
/// of a million elements takes a debug build longer than the audit waits.
@Suite(.timeLimit(.minutes(5))) struct LargeEventAuditTests {
    @Test func anEventOfMoreThanAMillionUnsoldTicketsIsAudited() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let seed = try await TicketdProcess.run(["seed", "1", "1100000"], redisURL: redis.url, directory: redis.directory)
        #expect(seed.status == 0, "\(seed.output)")
        let audit = try await TicketdProcess.run(["audit"], redisURL: redis.url, directory: redis.directory)
        #expect(audit.status == 0, "\(audit.output)")
        #expect(audit.output.contains("audit passed"), "\(audit.output)")
    }
}

/// The server short of file descriptors: it keeps serving the connections it has, lets the rest wait, never crashes.
/// (Accepting until the descriptors ran out crashed it with SIGILL: libdispatch traps when it cannot open
/// `/proc/<tid>/stat`.)
@Suite(.serialized, .timeLimit(.minutes(5))) struct FileDescriptorExhaustionTests {
    @Test func aServerLimitedToAFewDescriptorsSurvivesThousandsOfConnections() async throws {
        _ = FileDescriptorLimit.raiseToHardLimit()
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let seeded = try await TicketdProcess.run(["seed", "1", "100000"], redisURL: redis.url, directory: redis.directory)
        #expect(seeded.status == 0, "\(seeded.output)")
        // `prlimit` caps both limits, so the server cannot raise its own: 256 descriptors for 3000 connections.
        let server = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory, wrapper: ["prlimit", "--nofile=256:256"])
        defer { server.stop() }
        let client = RawHTTPClient(host: "127.0.0.1", port: server.port)

        let outcomes = await withTaskGroup(of: Int?.self) { group in
            for index in 0..<3000 {
                group.addTask {
                    try? await client.send("POST", "/buy/1", headers: [("X-User-Id", "buyer-\(index)")]).status
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let served = outcomes.compactMap { $0 }
        #expect(!server.process.hasExited, "the server survived: \(server.output.suffix(2000))")
        // It holds at most 192 connections (256 less its reserve); the others wait in the listen backlog, so
        // every buyer is served in turn.
        #expect(served.count == outcomes.count, "every buyer was served: \(served.count) of \(outcomes.count)")
        #expect(served.allSatisfy { $0 == 201 }, "a buyer who got an answer got a ticket")
        // Afterwards it serves as before.
        try await waitUntil(timeout: .seconds(30), "the server answers again") {
            (try? await client.send("GET", "/livez"))?.status == 200
        }
        let audit = try await TicketdProcess.run(["audit"], redisURL: redis.url, directory: redis.directory)
        #expect(audit.status == 0, "\(audit.output)")
    }
}
