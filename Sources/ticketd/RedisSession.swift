import Logging
import RESPClient

/// Runs a Redis client for the length of a one-shot command (`seed`, `audit`).
enum RedisSession {
    /// Starts a client for `url`, waits until it is connected, runs `body`, then stops the client.
    /// - Throws: a ``RedisError`` naming the URL when Redis cannot be reached within `timeout`, or what `body` throws.
    static func with<T: Sendable>(
        url: String,
        logger: Logger,
        timeout: Duration = .seconds(5),
        _ body: @Sendable (RedisClient) async throws -> T
    ) async throws -> T {
        var configuration = try RedisClientConfiguration.ticketd(url: url)
        configuration.connectionCount = 1
        configuration.commandTimeout = .seconds(30)
        let client = RedisClient(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            try await Self.waitUntilUp(client, url: url, timeout: timeout)
            return try await body(client)
        }
    }

    /// Waits until `client` has a connection, or throws after `timeout`, with the reason the client last met (a
    /// refused connection, `WRONGPASS`, a node without cluster support): before, a wrong password was reported
    /// as a Redis that is not running.
    ///
    /// A first command waits for the first connection and fails with the client's reason as soon as the client
    /// stops trying for a while (its breaker opens, at the first failed attempt by default): refused credentials
    /// end the wait then, since waiting does not fix them (the whole `timeout` was spent on them before). Anything
    /// else, such as a Redis still starting, is waited for until `timeout`.
    /// - Throws: ``ConfigurationError`` when Redis refused the URL's credentials (a wrong or missing password or
    ///   user): the configuration to fix, not a Redis to start; a ``RedisError`` for anything else.
    static func waitUntilUp(_ client: RedisClient, url: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        let ping = RESPCommand("PING")
        while true {
            do {
                _ = try await client.execute(ping, options: RedisCommandOptions(timeout: deadline - .now, idempotent: true))
                return
            } catch let error where error.reason == .clientNotRunning && .now < deadline {
                // The client's `run()`, a task started beside this one, may not have begun: let it.
                await Task.yield()
            } catch {
                try Self.checkCredentials(in: error.message, url: url)
                break
            }
        }
        guard await client.waitUntilConnected(timeout: deadline - .now) else {
            var reason = "no connection"
            do {
                _ = try await client.execute(ping, options: RedisCommandOptions(timeout: .milliseconds(100), idempotent: true))
            } catch {
                reason = error.message
            }
            try Self.checkCredentials(in: reason, url: url)
            throw RedisError.notSent(
                .circuitOpen,
                "cannot reach Redis at \(RedisEndpoint.masked(url)) within \(timeout): \(reason) (is it running? `make redis-up` starts one)"
            )
        }
    }

    /// Throws a ``ConfigurationError`` when `reason` is Redis refusing `url`'s credentials.
    private static func checkCredentials(in reason: String, url: String) throws {
        if Self.refusesCredentials(reason) {
            throw ConfigurationError("REDIS_URL \(RedisEndpoint.masked(url)): Redis refused its credentials: \(reason)")
        }
    }

    /// Whether Redis's `reason` for refusing a connection is its credentials: `WRONGPASS` (a wrong password or user),
    /// `NOAUTH` (a password needed and not given), or a password given to a Redis that has none.
    static func refusesCredentials(_ reason: String) -> Bool {
        ["WRONGPASS", "NOAUTH", "without any password configured", "invalid password"].contains { reason.contains($0) }
    }
}
