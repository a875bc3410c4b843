import Logging
import RESPClient
import RedisTestSupport
import Testing

/// Runs a ``RedisClient`` against `redis` for the duration of `body`, then cancels its `run()`.
///
/// With `waitUntilUp` (the default), `body` starts once every connection is up, as a service would wait
/// before taking traffic; without it, `body` starts as soon as `run()` does.
func withClient<T: Sendable>(
    _ redis: RedisServerFixture,
    waitUntilUp: Bool = true,
    configure: (inout RedisClientConfiguration) -> Void = { _ in },
    _ body: @Sendable (RedisClient) async throws -> T
) async throws -> T {
    var configuration = try RedisClientConfiguration(url: redis.url)
    // Generous by default: tests run in parallel on a small machine. Tests about deadlines set their own.
    configuration.commandTimeout = .seconds(10)
    configuration.connection.connectTimeout = .seconds(10)
    configure(&configuration)
    let client = RedisClient(configuration: configuration, logger: Logger(label: "test.redis"))
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await client.run() }
        defer { group.cancelAll() }
        if waitUntilUp {
            try await RESPClientIntegrationTests.waitUntilUp(client)
        } else {
            try await waitUntilRunning(client)
        }
        return try await body(client)
    }
}

/// The ``RedisError`` `body` throws, or `nil` if it succeeds (any other error is recorded as an issue).
func redisError(_ body: () async throws -> Void) async -> RedisError? {
    do {
        try await body()
        return nil
    } catch let error as RedisError {
        return error
    } catch {
        Issue.record("expected a RedisError, got \(error)")
        return nil
    }
}

/// Elapsed time of `body`, for checks that something fails fast rather than after a timeout.
func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try await body()
    return (value, clock.now - start)
}

/// Waits until `client.run()` is running: its commands no longer fail with `clientNotRunning`.
func waitUntilRunning(_ client: RedisClient) async throws {
    try await waitUntil(timeout: .seconds(5), "the client runs") {
        await redisError { _ = try await client.execute(RESPCommand("PING")) }?.reason != .clientNotRunning
    }
}

/// Waits until every connection of `client` is up.
func waitUntilUp(_ client: RedisClient) async throws {
    try #require(await client.waitUntilConnected(allConnections: true, timeout: .seconds(10)), "every connection up within 10 s")
}
