import DequeModule
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A Redis client: a small fixed set of multiplexed connections, kept open by its ``run()``.
///
/// The client is a `Service`: it does nothing until ``run()`` is running, typically in a `ServiceGroup` or
/// through Hummingbird's `addServices`. A command issued while it is not running fails at once with
/// `notSent(.clientNotRunning)`; it never hangs.
///
/// While running, the client:
/// - spreads commands over its connections (the least busy one first), many in flight on each;
/// - reconnects each lost connection with jittered exponential backoff, one attempt at a time; while no
///   connection is up only one of them probes the server, so a dead Redis sees no storm;
/// - fails fast with `notSent(.circuitOpen)` once a connect attempt has failed and none is up
///   (the circuit breaker), and reports ``health`` changes on ``healthUpdates()``;
/// - retries a command by itself only when it certainly was not sent, or when it is marked idempotent;
/// - on graceful shutdown refuses new commands, lets those in flight finish (up to
///   ``RedisClientConfiguration/shutdownTimeout``), then closes.
///
/// With ``RedisClientConfiguration/cluster`` set (a `redis+cluster://` URL) the client speaks to a Redis Cluster
/// through a ``RedisClusterClient``, with one such set of connections per primary; the API stays the same.
///
/// ```swift
/// let client = RedisClient(configuration: try RedisClientConfiguration(url: "redis://127.0.0.1:6379"), logger: logger)
/// let group = ServiceGroup(services: [client, app], gracefulShutdownSignals: [.sigterm], logger: logger)
/// // elsewhere, while the group runs:
/// let reply = try await client.execute(RESPCommand("INCR", "visits"))
/// ```
public final class RedisClient: RedisCommandExecutor, Service {
    /// The client's configuration.
    public let configuration: RedisClientConfiguration
    private let logger: Logger
    private let metrics = RedisClientMetrics()
    private let state: Mutex<RedisClientState>
    /// In cluster mode, the client that routes every command; this client's own connections stay unused.
    private let cluster: RedisClusterClient?

    /// Creates a client. It connects only once ``run()`` is running.
    public init(configuration: RedisClientConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(RedisClientState(slotCount: configuration.connectionCount, failureThreshold: configuration.circuitFailureThreshold))
        self.cluster = configuration.cluster == nil ? nil : RedisClusterClient(configuration: configuration, logger: logger)
    }

    /// How well the client reaches Redis right now.
    public var health: RedisHealth {
        if let cluster = self.cluster { return cluster.health }
        return self.state.withLock { $0.health }
    }

    /// Commands handed to a connection and not yet answered, over all connections.
    public var outstandingCommandCount: Int {
        if let cluster = self.cluster { return cluster.outstandingCommandCount }
        return self.state.withLock { $0.outstandingCommandCount }
    }

    /// The current health, then every change, until the client begins to stop (graceful shutdown, or a connection
    /// closed because its task was cancelled).
    public func healthUpdates() -> AsyncStream<RedisHealth> {
        if let cluster = self.cluster { return cluster.healthUpdates() }
        let (stream, continuation) = AsyncStream.makeStream(of: RedisHealth.self, bufferingPolicy: .bufferingNewest(16))
        let id = self.state.withLock { state in
            continuation.yield(state.health)
            if state.healthUpdatesEnded {
                continuation.finish()
                return nil as UInt64?
            }
            return state.subscribe(continuation)
        }
        if let id {
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { $0.unsubscribe(id) }
            }
        }
        return stream
    }

    /// Waits until the client reaches Redis: some connection is up, or with `allConnections` every one.
    /// - Returns: `false` when that did not happen within `timeout`, or the client stopped first.
    public func waitUntilConnected(allConnections: Bool = false, timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await health in self.healthUpdates() where health == .up || (!allConnections && health == .degraded) {
                    return true
                }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    // MARK: Commands

    /// Runs one command and returns its reply.
    /// - Throws: ``RedisError``; its ``RedisError/kind-swift.property`` tells whether the command may have run. When
    ///   an attempt's outcome was unknown and a retry then failed, the error is `outcomeUnknown`, whatever the retry
    ///   met: the first attempt may have run.
    public func execute(_ command: RESPCommand, options: RedisCommandOptions) async throws(RedisError) -> RESPValue {
        if let cluster = self.cluster { return try await cluster.execute(command, options: options) }
        let start = NIODeadline.now()
        let deadline = start + TimeAmount(options.timeout ?? self.configuration.commandTimeout)
        var attempt = 1
        var firstUnknownOutcome: RedisError?
        while true {
            do {
                let connection = try await self.leaseConnection(deadline: deadline)
                let reply = try await connection.execute(command, deadline: deadline)
                self.metrics.record(command: command.name, result: .ok, duration: Self.elapsed(since: start))
                return reply
            } catch {
                if error.kind == .outcomeUnknown, firstUnknownOutcome == nil { firstUnknownOutcome = error }
                if attempt < Self.maxAttempts, Self.isRetryable(error, idempotent: options.idempotent), NIODeadline.now() < deadline {
                    attempt += 1
                    continue
                }
                let reported = Self.reported(error, after: firstUnknownOutcome)
                self.metrics.record(command: command.name, result: .init(reported), duration: Self.elapsed(since: start))
                throw reported
            }
        }
    }

    /// The error to report for a command whose last attempt failed with `last`: an earlier attempt whose outcome
    /// was unknown may have run, so a retry that was not sent, or that Redis refused, cannot say it did not.
    private static func reported(_ last: RedisError, after unknown: RedisError?) -> RedisError {
        guard let unknown, last.kind != .outcomeUnknown else { return last }
        return .outcomeUnknown(unknown.reason, "\(unknown.message); the retry then failed: \(last.message)")
    }

    /// Sends several commands in one write on one connection and returns each one's result, in order.
    ///
    /// Nothing is retried: a failed command's result is its ``RedisError``. In cluster mode the commands are
    /// written per node instead (see ``RedisClusterClient/pipeline(_:options:)``).
    /// - Throws: ``RedisError`` when no connection can be had (the client is not running, or Redis is down).
    public func pipeline(
        _ commands: [RESPCommand],
        options: RedisCommandOptions = .init()
    ) async throws(RedisError) -> [Result<RESPValue, RedisError>] {
        if let cluster = self.cluster { return try await cluster.pipeline(commands, options: options) }
        let deadline = NIODeadline.now() + TimeAmount(options.timeout ?? self.configuration.commandTimeout)
        let connection = try await self.leaseConnection(deadline: deadline)
        return await connection.pipeline(commands, deadline: deadline)
    }

    /// Every key whose name matches `pattern` (a `SCAN … MATCH` glob), on the server, or on every primary of a
    /// cluster (a `SCAN` sent as any other command reaches one node). For the audit's search of keys that no index
    /// lists; it walks the whole keyspace, so not for a request's path.
    /// - Throws: ``RedisError`` when a node cannot be scanned.
    public func keys(matching pattern: String, options: RedisCommandOptions = .init(idempotent: true)) async throws(RedisError) -> Set<String> {
        if let cluster = self.cluster { return try await cluster.keys(matching: pattern, options: options) }
        var keys: Set<String> = []
        var cursor = "0"
        repeat {
            let scan = RESPCommand("SCAN", .string(cursor), "MATCH", .string(pattern), "COUNT", .integer(1000))
            let reply = try await self.execute(scan, options: options)
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let names = parts[1].array else {
                throw .serverError("unexpected SCAN reply: \(reply)")
            }
            keys.formUnion(names.compactMap(\.string))
            cursor = next
        } while cursor != "0"
        return keys
    }

    private static let maxAttempts = 3

    private static func isRetryable(_ error: RedisError, idempotent: Bool) -> Bool {
        switch (error.kind, error.reason) {
        case (.notSent, .connectionClosed): return true
        case (.outcomeUnknown, .connectionClosed), (.outcomeUnknown, .protocolError): return idempotent
        default: return false
        }
    }

    private static func elapsed(since start: NIODeadline) -> Duration {
        .nanoseconds((NIODeadline.now() - start).nanoseconds)
    }

    private func leaseConnection(deadline: NIODeadline) async throws(RedisError) -> RedisConnection {
        let id: UInt64
        switch self.state.withLock({ $0.lease() }) {
        case .connection(let connection): return connection
        case .fail(let error): throw error
        case .wait(let waiterID): id = waiterID
        }
        // Nothing is up yet, but a connect attempt is under way: wait for its outcome, at most until `deadline`.
        let timeout = self.configuration.eventLoopGroup.any().scheduleTask(deadline: deadline) { [self] in
            self.state.withLock { $0.failWaiter(id, .notSent(.circuitOpen, "no connection to Redis before the deadline")) }
        }
        defer { timeout.cancel() }
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RedisConnection, any Error>) in
                    self.state.withLock { $0.park(id, continuation) }
                }
            } onCancel: {
                self.state.withLock { $0.failWaiter(id, .notSent(.cancelled, "cancelled while waiting for a connection")) }
            }
        } catch let error as RedisError {
            throw error
        } catch {
            throw .notSent(.cancelled, "\(error)")
        }
    }

    // MARK: Running

    /// Opens the connections and keeps them open until graceful shutdown or cancellation.
    public func run() async throws {
        if let cluster = self.cluster { return try await cluster.run() }
        let started = self.state.withLock { $0.start() }
        guard started else {
            throw RedisError.notSent(.clientNotRunning, "RedisClient.run() was called more than once")
        }
        self.logger.info(
            "Redis client starting",
            metadata: ["redis.node": "\(self.configuration.connection.endpoint)", "redis.connections": "\(self.configuration.connectionCount)"]
        )
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for slot in 0..<self.configuration.connectionCount {
                    group.addTask { await self.runSlot(slot) }
                }
            }
        } onGracefulShutdown: {
            self.beginShutdown()
        }
        let (continuations, connections) = self.state.withLock { $0.finish() }
        for connection in connections { connection.close() }
        for continuation in continuations { continuation.finish() }
        self.metrics.setLiveConnections(0)
        self.logger.info("Redis client stopped")
    }

    /// Keeps connection `slot` open: connect, wait for it to close, back off after failures, repeat.
    private func runSlot(_ slot: Int) async {
        var failures = 0
        var connectionNumber = 0
        while !Task.isCancelled {
            switch self.state.withLock({ $0.slotAction(slot) }) {
            case .stop:
                return
            case .waitForProbe:
                // The server is down and another slot probes it; wake when that one gets through.
                for await health in self.healthUpdates() where health != .down { break }
                continue
            case .connect:
                break
            }
            do {
                connectionNumber += 1
                let connection = try await RedisConnection.connect(
                    configuration: self.configuration.connection,
                    eventLoop: self.configuration.eventLoopGroup.next(),
                    id: slot * 1_000_000 + connectionNumber,
                    logger: self.logger
                )
                failures = 0
                self.register(connection, slot: slot)
                await withTaskCancellationHandler {
                    try? await connection.closeFuture.get()
                } onCancel: {
                    connection.close()
                }
                self.unregister(slot: slot)
            } catch {
                // Cancelled while connecting (the process stopping, say because its port was taken): the client's
                // own doing, not Redis's failure, so no "unreachable" warning and no health change for anyone to
                // act on.
                if Task.isCancelled { return }
                failures += 1
                self.recordConnectFailure(error)
                let delay = self.configuration.backoff.delay(attempt: failures)
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
            }
        }
    }

    private func register(_ connection: RedisConnection, slot: Int) {
        let (change, waiters, live) = self.state.withLock { $0.register(connection, slot: slot) }
        for waiter in waiters { waiter.resume(returning: connection) }
        self.metrics.setLiveConnections(live)
        self.metrics.setCircuitOpen(false)
        change?.log("Redis health changed", to: self.logger, stopping: false)
    }

    private func unregister(slot: Int) {
        // Cancelled, the client closed the connection itself: the health streams end first, so that no subscriber
        // hears Redis reported down for it (a server that failed to start, so stopped, warned of an outage).
        let cancelled = Task.isCancelled
        let (change, live, shuttingDown, ended) = self.state.withLock { state in
            let ended = cancelled ? state.endHealthUpdates() : []
            let (change, live, shuttingDown) = state.unregister(slot: slot)
            return (change, live, shuttingDown, ended)
        }
        for subscriber in ended { subscriber.finish() }
        self.metrics.setLiveConnections(live)
        // Cancelled (a one-shot command such as `seed` ending) or shutting down, the client closed the connection itself.
        let stopping = shuttingDown || cancelled
        if !stopping {
            self.metrics.countReconnect()
            self.logger.debug("connection lost; reconnecting", metadata: ["redis.slot": "\(slot)"])
        }
        change?.log("Redis health changed", to: self.logger, stopping: stopping)
    }

    private func recordConnectFailure(_ error: RedisError) {
        let (change, waiters, opened) = self.state.withLock { $0.connectFailed(error) }
        for waiter in waiters { waiter.resume(throwing: RedisError.notSent(.circuitOpen, "Redis is unreachable: \(error.message)")) }
        if opened {
            self.metrics.setCircuitOpen(true)
            self.logger.warning("Redis unreachable; failing fast until a connection succeeds", metadata: ["redis.error": "\(error.message)"])
        } else {
            self.logger.debug("connect attempt failed", metadata: ["redis.error": "\(error.message)"])
        }
        change?.log("Redis health changed", to: self.logger, stopping: false)
    }

    private func beginShutdown() {
        let (waiters, connections, subscribers) = self.state.withLock { $0.beginShutdown() }
        self.logger.info("Redis client shutting down; draining commands in flight")
        for subscriber in subscribers { subscriber.finish() }
        for waiter in waiters { waiter.resume(throwing: RedisError.notSent(.shuttingDown, "the Redis client is shutting down")) }
        for connection in connections { connection.drainAndClose() }
        // Commands that outlive the drain window are cut off: their callers get outcomeUnknown.
        self.configuration.eventLoopGroup.any().scheduleTask(in: TimeAmount(self.configuration.shutdownTimeout)) {
            for connection in connections { connection.close() }
        }
    }
}
