import Logging
import RESPClient
import RedisTestSupport
import ServiceLifecycle
import Testing

/// The client while its server dies, hangs, comes back, or while callers give up.
///
/// Commands are put "in flight" by suspending the server (SIGSTOP) and waiting until the client reports them
/// outstanding; the kernel still accepts the bytes, so they are written and unanswered.
@Suite(.timeLimit(.minutes(5))) struct RedisClientFailureTests {
    static func echoes(_ client: RedisClient, count: Int) -> [Task<RESPValue, any Error>] {
        (0..<count).map { index in
            Task { try await client.execute(RESPCommand("ECHO", .string("caller-\(index)"))) }
        }
    }

    static func waitUntilOutstanding(_ client: RedisClient, _ count: Int) async throws {
        try await waitUntil(timeout: .seconds(5), "\(count) commands in flight") { client.outstandingCommandCount == count }
    }

    /// For tests that kill a suspended server: the kill must be what closes the connection, so no timeout and no
    /// keep-alive may find the server hung first, however slowly a loaded machine gets the commands out.
    static func closedOnlyByTheKill(_ configuration: inout RedisClientConfiguration) {
        configuration.commandTimeout = .seconds(20)
        configuration.connection.keepAliveInterval = .seconds(120)
    }

    @Test func aKilledServerFailsPendingCallersAsUnknownThenFailsFastThenRecovers() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        try await withClient(redis, configure: Self.closedOnlyByTheKill) { client throws in
            var health = client.healthUpdates().makeAsyncIterator()
            while await health.next() != .up {}

            redis.suspend()
            let callers = Self.echoes(client, count: 200)
            try await Self.waitUntilOutstanding(client, 200)
            let (errors, elapsed) = await measure {
                redis.kill()
                var errors: [RedisError] = []
                for caller in callers {
                    if case .failure(let error as RedisError) = await caller.result { errors.append(error) }
                }
                return errors
            }
            #expect(errors.count == 200)
            // A command handed to the connection may still wait in its event loop, unwritten, when the kill closes it
            // (seen once in a clean-clone CI run): it fails as not sent, which is as true. None may hang or succeed.
            let unknown = errors.filter { $0.kind == .outcomeUnknown && $0.reason == .connectionClosed }
            let notSent = errors.filter { $0.kind == .notSent }
            #expect(
                unknown.count + notSent.count == 200 && !unknown.isEmpty,
                "\(Set(errors.map { "\($0.kind) \($0.reason): \($0.message)" }))"
            )
            #expect(elapsed < .seconds(20), "answered by the closed connection, not by their deadline")

            // Down: once a reconnect has failed, the breaker answers at once instead of waiting for a timeout.
            while await health.next() != .down {}
            try await waitUntil(timeout: .seconds(2), "the breaker opens") {
                await redisError { _ = try await client.execute(RESPCommand("PING")) }?.reason == .circuitOpen
            }
            let (error, failTime) = await measure { await redisError { _ = try await client.execute(RESPCommand("PING")) } }
            #expect(error?.kind == .notSent)
            #expect(error?.reason == .circuitOpen)
            // Far below the 20 s command timeout: nothing waited for it.
            #expect(failTime < .seconds(1))

            // Back: the client finds the restarted server by itself, without a storm of connects.
            try await redis.restart()
            while await health.next() != .up {}
            #expect(try await client.execute(RESPCommand("PING")) == .simpleString("PONG"))
            let connects = Int(try await redis.info("stats")["total_connections_received"] ?? "0") ?? 0
            #expect(connects <= 10)
        }
    }

    /// An idempotent command is retried after an unknown outcome; when the retry cannot even be sent (the server is
    /// gone), the caller must still hear that the first attempt may have run, never that nothing was sent.
    @Test func anIdempotentCommandWhoseRetryIsNotSentStillReportsAnUnknownOutcome() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        try await withClient(redis, configure: Self.closedOnlyByTheKill) { client throws in
            redis.suspend()
            let caller = Task {
                try await client.execute(RESPCommand("INCR", .string("counter")), options: RedisCommandOptions(idempotent: true))
            }
            try await Self.waitUntilOutstanding(client, 1)
            redis.kill()
            guard case .failure(let error as RedisError) = await caller.result else {
                Issue.record("the command succeeded against a killed server")
                return
            }
            #expect(error.kind == .outcomeUnknown, "\(error.kind) \(error.reason): \(error.message)")
            #expect(error.reason == .connectionClosed)
        }
    }

    @Test func aHungServerGivesTimeoutsAndTheClientRecoversWhenItResumes() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let configure: (inout RedisClientConfiguration) -> Void = {
            $0.commandTimeout = .milliseconds(500)
            $0.connection.connectTimeout = .milliseconds(500)
        }
        try await withClient(redis, configure: configure) { client throws in
            #expect(try await client.execute(RESPCommand("PING")) == .simpleString("PONG"))
            redis.suspend()
            let (results, elapsed) = await measure {
                var results: [Result<RESPValue, any Error>] = []
                for caller in Self.echoes(client, count: 50) { results.append(await caller.result) }
                return results
            }
            for result in results {
                guard case .failure(let error as RedisError) = result else {
                    Issue.record("expected a timeout, got \(result)")
                    continue
                }
                #expect(error.kind == .outcomeUnknown)
                #expect(error.reason == .timeout)
            }
            // Each caller is answered by its deadline (500 ms), not by some later, longer wait; the bound leaves
            // room for a busy machine.
            #expect(elapsed >= .milliseconds(500))
            #expect(elapsed < .seconds(5))
            redis.resume()
            try await waitUntil(timeout: .seconds(10), "the client works again") {
                (try? await client.execute(RESPCommand("PING"))) == .simpleString("PONG")
            }
        }
    }

    @Test func cancelledCallersLeaveTheOthersUntouched() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let configure: (inout RedisClientConfiguration) -> Void = { $0.commandTimeout = .seconds(30) }
        try await withClient(redis, configure: configure) { client throws in
            #expect(try await client.execute(RESPCommand("PING")) == .simpleString("PONG"))
            redis.suspend()
            let callers = Self.echoes(client, count: 100)
            try await Self.waitUntilOutstanding(client, 100)
            let cancelled = Set((0..<100).shuffled().prefix(50))
            for index in cancelled { callers[index].cancel() }
            for index in cancelled {
                guard case .failure(let error as RedisError) = await callers[index].result else {
                    Issue.record("caller \(index) was cancelled but did not fail")
                    continue
                }
                #expect(error.kind == .outcomeUnknown)
                #expect(error.reason == .cancelled)
            }
            redis.resume()
            for index in 0..<100 where !cancelled.contains(index) {
                #expect(try await callers[index].value.string == "caller-\(index)")
            }
        }
    }

    @Test func gracefulShutdownDrainsInFlightCommandsAndRefusesNewOnes() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        var configuration = try RedisClientConfiguration(url: redis.url)
        configuration.commandTimeout = .seconds(20)
        let client = RedisClient(configuration: configuration, logger: Logger(label: "test"))
        let group = ServiceGroup(services: [client], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await waitUntilUp(client)
            #expect(try await client.execute(RESPCommand("PING")) == .simpleString("PONG"))
            redis.suspend()
            let inFlight = Self.echoes(client, count: 1)[0]
            try await Self.waitUntilOutstanding(client, 1)
            let health = client.healthUpdates()
            await group.triggerGracefulShutdown()
            // The health stream ends when shutdown begins.
            for await _ in health {}
            let refused = await redisError { _ = try await client.execute(RESPCommand("PING")) }
            #expect(refused?.kind == .notSent)
            #expect(refused?.reason == .shuttingDown)
            redis.resume()
            #expect(try await inFlight.value.string == "caller-0")
            try await tasks.waitForAll()
        }
        try await waitUntil(timeout: .seconds(5), "the server sees our connections close") {
            try await redis.command("CLIENT", "LIST").split(separator: "\n").allSatisfy { !$0.contains("name=ticketd ") }
        }
        let error = await redisError { _ = try await client.execute(RESPCommand("PING")) }
        #expect(error?.reason == .clientNotRunning)
    }

    /// A cancelled client (a server that failed to start is stopped so) closes its connections itself: its health
    /// stream ends without reporting Redis down, which a subscriber would take for an outage.
    @Test func aCancelledClientEndsItsHealthStreamWithoutReportingRedisDown() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        var configuration = try RedisClientConfiguration(url: redis.url)
        configuration.connectionCount = 2
        let client = RedisClient(configuration: configuration, logger: Logger(label: "test"))
        let running = Task { try await client.run() }
        try await waitUntilUp(client)
        let health = client.healthUpdates()
        running.cancel()
        try? await running.value
        var heard: [RedisHealth] = []
        for await update in health { heard.append(update) }
        #expect(heard == [.up])
    }

    @Test func aFullServerFailsTheConnectWithItsOwnMessage() async throws {
        let redis = try await RedisServerFixture.start(arguments: ["--maxclients", "1"])
        defer { redis.stop() }
        // The first client holds the only slot; the second is told so by the server.
        let configure: (inout RedisClientConfiguration) -> Void = { $0.connectionCount = 1 }
        try await withClient(redis, configure: configure) { first throws in
            let configure: (inout RedisClientConfiguration) -> Void = { $0.connectionCount = 1 }
            try await withClient(redis, waitUntilUp: false, configure: configure) { second throws in
                let error = await redisError { _ = try await second.execute(RESPCommand("PING")) }
                #expect(error?.kind == .notSent)
                #expect(error?.message.contains("max number of clients") == true)
            }
        }
    }
}
