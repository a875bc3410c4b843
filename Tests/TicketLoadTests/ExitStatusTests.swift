import Testing

/// The executable's exit status, which scripts and CI read: 0 clean, 1 something sold wrong, 2 no run at all.
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

    @Test func noServiceExitsTwoWithAMessage() async throws {
        let server = try await FakeTicketServer.start(capacity: 1)
        let port = server.port
        try await server.stop()
        let (status, output) = try await TicketLoadExecutable.run(["--url", "http://127.0.0.1:\(port)", "--requests", "1"])
        #expect(status == 2, "\(output)")
        #expect(output.contains("no service answers at http://127.0.0.1:\(port)"))
    }
}
