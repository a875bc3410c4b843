import Logging
import NIOCore
import RESPClient
import RedisTestSupport
import ServiceLifecycle
import Testing

/// The client against a real `redis-server` the test starts on a free port.
@Suite(.timeLimit(.minutes(5))) struct RedisClientTests {
    @Test func valuesOfEverySizeRoundTrip() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        try await withClient(redis) { client throws in
            for size in [0, 1, 1 << 20] {
                var value = ByteBuffer()
                value.writeRepeatingByte(UInt8(ascii: "x"), count: size)
                value.setInteger(UInt8(ascii: "\r"), at: 0, as: UInt8.self)
                #expect(try await client.execute(RESPCommand("SET", "key", .bytes(value))) == .simpleString("OK"))
                #expect(try await client.execute(RESPCommand("GET", "key")) == .bulkString(value))
            }
        }
    }

    @Test func tenThousandPipelinedIncrementsCountToTenThousand() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        try await withClient(redis) { client throws in
            let increments = Array(repeating: RESPCommand("INCR", "counter"), count: 10_000)
            let results = try await client.pipeline(increments, options: .init(timeout: .seconds(30)))
            #expect(try results.map { try $0.get().integer } == (1...10_000).map { Int64($0) })
        }
        #expect(try await redis.command("GET", "counter") == "10000")
    }

    @Test func tenThousandConcurrentScriptCallsAreEachAnsweredCorrectly() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let double = RedisScript("return tonumber(ARGV[1]) * 2")
        let configure: (inout RedisClientConfiguration) -> Void = { $0.connectionCount = 2 }
        try await withClient(redis, configure: configure) { client throws in
            try await client.loadScript(double)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for number in 0..<10_000 {
                    group.addTask {
                        let reply = try await client.evalScript(double, arguments: [.integer(number)], options: .init(timeout: .seconds(30)))
                        #expect(reply == .integer(Int64(number * 2)))
                    }
                }
                try await group.waitForAll()
            }
            // One connection per configured slot, named by the handshake, and nothing else of ours.
            let clients = try await redis.command("CLIENT", "LIST").split(separator: "\n").filter { $0.contains("name=ticketd ") }
            #expect(clients.count == 2)
        }
        let stats = try await redis.commandStats()
        #expect(stats["evalsha"]?["calls"] == "10000")
        #expect(stats["eval"] == nil)
    }

    @Test func aFlushedScriptCacheIsAbsorbedByExactlyOneEvalPerNoScript() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let increment = RedisScript("return redis.call('INCR', KEYS[1])")
        let calls = 3000
        try await withClient(redis) { client throws in
            // Never loaded: the first calls find no script and fall back to EVAL.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<calls {
                    group.addTask {
                        _ = try await client.evalScript(increment, keys: ["counter"], options: .init(timeout: .seconds(30)))
                    }
                    if index == calls / 2 {
                        group.addTask { _ = try await redis.command("SCRIPT", "FLUSH") }
                    }
                }
                try await group.waitForAll()
            }
        }
        // Every call ran its script exactly once, however many times it met NOSCRIPT.
        #expect(try await redis.command("GET", "counter") == "\(calls)")
        let noScript = try await redis.errorStats()["NOSCRIPT"] ?? 0
        let stats = try await redis.commandStats()
        let evals = Int(stats["eval"]?["calls"] ?? "0") ?? 0
        #expect(noScript >= 1)
        #expect(evals == noScript)
    }

    @Test func theScriptShaMatchesTheServers() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let script = RedisScript("return redis.call('PING')")
        #expect(try await redis.command("SCRIPT", "LOAD", script.source) == script.sha1)
    }

    @Test func aCommandOnAClientThatIsNotRunningFailsAtOnce() async throws {
        let client = RedisClient(configuration: try RedisClientConfiguration(url: "redis://127.0.0.1:1"), logger: Logger(label: "test"))
        let error = await redisError { _ = try await client.execute(RESPCommand("PING")) }
        #expect(error?.kind == .notSent)
        #expect(error?.reason == .clientNotRunning)
    }

    @Test func aServerErrorReplyIsAServerError() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        try await withClient(redis) { client throws in
            let error = await redisError { _ = try await client.execute(RESPCommand("NOSUCHCOMMAND")) }
            #expect(error?.kind == .serverError)
            #expect(error?.serverErrorCode == "ERR")
            // The connection is still good.
            #expect(try await client.execute(RESPCommand("PING")) == .simpleString("PONG"))
        }
    }

    @Test func theRightPasswordLogsInAndTheWrongOneFailsFastWithoutAStorm() async throws {
        let redis = try await RedisServerFixture.start(arguments: ["--requirepass", "s3cret"])
        defer { redis.stop() }
        let good = "redis://:s3cret@127.0.0.1:\(redis.port)"
        let bad = "redis://:wrong@127.0.0.1:\(redis.port)"
        let goodClient = RedisClient(configuration: try RedisClientConfiguration(url: good), logger: Logger(label: "test"))
        let badClient = RedisClient(configuration: try RedisClientConfiguration(url: bad), logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await goodClient.run() }
            group.addTask { try await badClient.run() }
            defer { group.cancelAll() }
            try await waitUntilUp(goodClient)
            try await waitUntilRunning(badClient)
            #expect(try await goodClient.execute(RESPCommand("PING")) == .simpleString("PONG"))
            let (error, elapsed) = await measure { await redisError { _ = try await badClient.execute(RESPCommand("PING")) } }
            #expect(error?.kind == .notSent)
            #expect(error?.message.contains("WRONGPASS") == true)
            #expect(elapsed < .seconds(1))
            // While it keeps failing, the bad client backs off instead of hammering the server.
            let before = Int(try await redis.info("stats")["total_connections_received"] ?? "0") ?? 0
            try await Task.sleep(for: .seconds(1))
            let after = Int(try await redis.info("stats")["total_connections_received"] ?? "0") ?? 0
            #expect(after - before <= 12)
        }
    }

    @Test func aDatabaseInTheURLIsSelected() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let configure: (inout RedisClientConfiguration) -> Void = { $0.connection.endpoint.database = 3 }
        try await withClient(redis, configure: configure) { client throws in
            _ = try await client.execute(RESPCommand("SET", "where", "three"))
        }
        #expect(try await redis.command("-n", "3", "GET", "where") == "three")
        #expect(try await redis.command("GET", "where") == "")
    }
}
