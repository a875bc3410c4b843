import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A Redis Cluster client: routes each command to the primary of its keys' hash slot and follows the cluster
/// as slots move.
///
/// Like ``RedisClient`` it is a `Service` and does nothing until ``run()`` is running; ``RedisClient`` in cluster
/// mode (``RedisClientConfiguration/cluster``) wraps one, so code written against ``RedisClient`` works on a
/// cluster unchanged. While running, the client:
/// - reads the topology with `CLUSTER SHARDS` (`CLUSTER SLOTS` on Redis 6) from the seeds or any known node,
///   and keeps one ``RedisClient`` (a few multiplexed connections) per primary;
/// - checks client-side that all keys of a command share one slot, and refuses it with `notSent(.crossSlot)`
///   otherwise;
/// - on `MOVED` points that one slot at the named node, retries there, and asks for a topology refresh; refreshes
///   are single-flight and at least ``RedisClusterOptions/minimumRefreshInterval`` apart;
/// - on `ASK` sends `ASKING` and the command in one write to the named node, without touching the slot table;
/// - follows at most ``RedisClusterOptions/maxRedirects`` redirects per command;
/// - retries `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`, `MASTERDOWN` and `READONLY` (which guarantee the command did
///   not run) with jittered backoff until the command's deadline, asking for a refresh on the last two kinds;
/// - sends `SCRIPT`, `FLUSHALL` and `FLUSHDB` to every primary, so `loadScript` caches a script on each; a
///   node that lost it still answers `NOSCRIPT` and `evalScript` resends it with `EVAL` there.
///
/// A primary that cannot be reached fails its commands at once with the node client's `notSent` error (and a
/// topology refresh is asked for), so a caller can fall back without waiting for the deadline.
public final class RedisClusterClient: RedisCommandExecutor, Service {
    /// The configuration; ``RedisClientConfiguration/cluster`` is set.
    public let configuration: RedisClientConfiguration
    private let options: RedisClusterOptions
    private let logger: Logger
    private let state = Mutex(RedisClusterState())
    /// Node clients made after ``run()`` started, waiting for ``run()`` to run them.
    private let newNodes: AsyncStream<RedisClient>.Continuation
    private let newNodeStream: AsyncStream<RedisClient>

    /// Creates a cluster client. It connects only once ``run()`` is running.
    /// - Precondition: `configuration.cluster` is set.
    public init(configuration: RedisClientConfiguration, logger: Logger) {
        guard let options = configuration.cluster else { preconditionFailure("RedisClusterClient needs configuration.cluster") }
        self.configuration = configuration
        self.options = options
        self.logger = logger
        (self.newNodeStream, self.newNodes) = AsyncStream.makeStream(of: RedisClient.self)
    }

    /// How well the client reaches the cluster: up when every primary's connections are up, down when no primary
    /// can be reached or no topology is known yet, degraded in between.
    public var health: RedisHealth { self.state.withLock { $0.health } }

    /// Commands handed to a connection and not yet answered, over all nodes.
    public var outstandingCommandCount: Int {
        self.state.withLock { $0.allClients }.reduce(0) { $0 + $1.outstandingCommandCount }
    }

    /// The current health, then every change, until the client stops running.
    public func healthUpdates() -> AsyncStream<RedisHealth> {
        let (stream, continuation) = AsyncStream.makeStream(of: RedisHealth.self, bufferingPolicy: .bufferingNewest(16))
        let id = self.state.withLock { state -> UInt64? in
            continuation.yield(state.health)
            if state.lifecycle == .finished {
                continuation.finish()
                return nil
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

    // MARK: Commands

    /// Runs one command on the node that serves its keys, following redirects, and returns its reply.
    /// - Throws: ``RedisError``: `notSent(.crossSlot)` before sending when the keys are in different slots;
    ///   `notSent(.circuitOpen)` when no node serves the slot; otherwise what the node's client throws.
    public func execute(_ command: RESPCommand, options: RedisCommandOptions) async throws(RedisError) -> RESPValue {
        let route = try command.clusterRoute()
        let deadline = ContinuousClock().now + (options.timeout ?? self.configuration.commandTimeout)
        switch route {
        case .slot(let slot): return try await self.send(command, slot: slot, deadline: deadline, idempotent: options.idempotent)
        case .anyNode: return try await self.send(command, slot: nil, deadline: deadline, idempotent: options.idempotent)
        case .allPrimaries: return try await self.broadcast(command, deadline: deadline, idempotent: options.idempotent)
        }
    }

    /// Runs several commands and returns each one's result, in order: one write per node for the commands that
    /// node serves; a command answered with a redirect or a retryable error is then run again on its own.
    ///
    /// Results come back in the caller's order, but commands on different nodes, and commands run again, may run
    /// in another order; a resent command gets the whole timeout again.
    /// - Throws: ``RedisError`` only when the client is not running.
    public func pipeline(
        _ commands: [RESPCommand],
        options: RedisCommandOptions = .init()
    ) async throws(RedisError) -> [Result<RESPValue, RedisError>] {
        try await self.waitForTopology(deadline: ContinuousClock().now + (options.timeout ?? self.configuration.commandTimeout))
        var results = [Result<RESPValue, RedisError>?](repeating: nil, count: commands.count)
        var groups: [ObjectIdentifier: (client: RedisClient, indices: [Int])] = [:]
        for (index, command) in commands.enumerated() {
            do {
                let client: RedisClient?
                switch try command.clusterRoute() {
                case .slot(let slot): client = self.state.withLock { $0.client(for: slot) }
                case .anyNode: client = self.state.withLock { $0.anyPrimary() }
                case .allPrimaries: client = nil
                }
                guard let client else { continue }  // run on its own below
                groups[ObjectIdentifier(client), default: (client, [])].indices.append(index)
            } catch {
                results[index] = .failure(error)
            }
        }
        let batches = await withTaskGroup(of: [(Int, Result<RESPValue, RedisError>)].self) { group in
            for (client, indices) in groups.values {
                group.addTask {
                    guard let replies = try? await client.pipeline(indices.map { commands[$0] }, options: options) else { return [] }
                    return Array(zip(indices, replies))
                }
            }
            var all: [(Int, Result<RESPValue, RedisError>)] = []
            for await batch in group { all.append(contentsOf: batch) }
            return all
        }
        for (index, result) in batches {
            if case .failure(let error) = result, Self.shouldResend(error) { continue }
            results[index] = result
        }
        var finished: [Result<RESPValue, RedisError>] = []
        finished.reserveCapacity(commands.count)
        for (index, result) in results.enumerated() {
            if let result {
                finished.append(result)
            } else {
                do {
                    finished.append(.success(try await self.execute(commands[index], options: options)))
                } catch {
                    finished.append(.failure(error))
                }
            }
        }
        return finished
    }

    /// Whether a pipelined command's failure is one that ``execute(_:options:)`` would handle by retrying.
    private static func shouldResend(_ error: RedisError) -> Bool {
        if error.kind == .notSent { return true }
        guard let code = error.serverErrorCode else { return false }
        return code == "MOVED" || code == "ASK" || Self.retryableCodes.contains(code)
    }

    /// Error replies that guarantee the command did not run and may go away by themselves.
    private static let retryableCodes: Set<Substring> = ["TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN", "READONLY"]

    /// Sends `command` to the primary of `slot` (any primary when `nil`), following redirects.
    private func send(
        _ command: RESPCommand,
        slot: HashSlot?,
        deadline: ContinuousClock.Instant,
        idempotent: Bool
    ) async throws(RedisError) -> RESPValue {
        try await self.waitForTopology(deadline: deadline)
        var redirects = 0
        var retries = 0
        var askTarget: RedisClient?
        while true {
            let target: RedisClient
            if let askTarget {
                target = askTarget
            } else if let routed = self.state.withLock({ state in
                if let slot { return state.client(for: slot) }
                return state.anyPrimary()
            }) {
                target = routed
            } else {
                self.requestRefresh()
                throw .notSent(.circuitOpen, "no cluster node is known to serve slot \(slot.map(String.init(describing:)) ?? "any")")
            }
            let remaining = ContinuousClock().now.duration(to: deadline)
            guard remaining > .zero else { throw .notSent(.timeout, "\(command.name): the deadline passed before a cluster node took it") }
            let options = RedisCommandOptions(timeout: remaining, idempotent: idempotent)
            let result: Result<RESPValue, RedisError>
            let asked = askTarget != nil
            if asked {
                askTarget = nil
                result = await Self.asking(command, on: target, options: options)
            } else {
                do {
                    result = .success(try await target.execute(command, options: options))
                } catch {
                    result = .failure(error)
                }
            }
            let error: RedisError
            switch result {
            case .success(let reply): return reply
            case .failure(let failure): error = failure
            }

            if error.kind == .serverError, let redirection = ClusterRedirection(errorMessage: error.message) {
                redirects += 1
                guard redirects <= self.options.maxRedirects else {
                    throw RedisError(kind: .serverError, reason: .serverReply, message: "\(error.message) (gave up after \(redirects - 1) redirects)")
                }
                RedisClusterMetrics.countRedirect(redirection.kind)
                let host = redirection.host.isEmpty ? target.configuration.connection.endpoint.host : redirection.host
                let address = ClusterNodeAddress(host: host, port: redirection.port)
                switch redirection.kind {
                case .moved:
                    let (client, created) = self.state.withLock { $0.patch(redirection.slot, to: address, makeClient: self.makeNodeClient) }
                    if created { self.start(client) }
                    self.requestRefresh()
                case .ask:
                    let (client, created) = self.state.withLock { $0.client(for: address, makeClient: self.makeNodeClient) }
                    if created { self.start(client) }
                    askTarget = client
                }
                continue
            }
            let retryable: Bool
            if let code = error.serverErrorCode {
                retryable = Self.retryableCodes.contains(code)
                // CLUSTERDOWN: slots lost their primary; READONLY: the node was demoted to a replica by a failover.
                if code == "CLUSTERDOWN" || code == "READONLY" { self.requestRefresh() }
            } else {
                // A node client made a moment ago may not be running yet; any other failure to reach the node is
                // the caller's to handle (fall back, or retry later), after a refresh has been asked for.
                retryable = error.kind == .notSent && error.reason == .clientNotRunning && self.state.withLock { $0.lifecycle == .running }
                if error.kind == .notSent, error.reason == .circuitOpen || error.reason == .connectionFailed { self.requestRefresh() }
            }
            guard retryable else { throw error }
            if asked, error.serverErrorCode == "TRYAGAIN" {
                // The slot's keys are split between the two nodes of a migration (a multi-key script whose keys
                // have not all moved): the `ASK` that led here comes again after the backoff, and is no redirect
                // loop. The deadline bounds the wait, as for any `TRYAGAIN`; counted, the redirects gave up in a
                // quarter of a second, naming `ASK` rather than the cause (found by black-box testing).
                redirects -= 1
            }
            retries += 1
            let delay = self.options.retryBackoff.delay(attempt: retries)
            guard ContinuousClock().now.advanced(by: delay) < deadline else { throw error }
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw .notSent(.cancelled, "\(command.name): cancelled while waiting to retry")
            }
        }
    }

    /// Sends `ASKING` and `command` in one write on `client`, and returns the command's result.
    private static func asking(_ command: RESPCommand, on client: RedisClient, options: RedisCommandOptions) async -> Result<RESPValue, RedisError> {
        do {
            let results = try await client.pipeline([RESPCommand("ASKING"), command], options: options)
            return results[1]
        } catch {
            return .failure(error)
        }
    }

    /// Runs `command` on every primary and returns the first primary's reply.
    ///
    /// A primary that cannot be reached does not fail the call when another one answered (for `SCRIPT LOAD` the
    /// `NOSCRIPT` fallback covers it later); an error reply from any primary does.
    private func broadcast(_ command: RESPCommand, deadline: ContinuousClock.Instant, idempotent: Bool) async throws(RedisError) -> RESPValue {
        try await self.waitForTopology(deadline: deadline)
        let clients = self.state.withLock { $0.primaryClients }
        let options = RedisCommandOptions(timeout: ContinuousClock().now.duration(to: deadline), idempotent: idempotent)
        let results = await withTaskGroup(of: (Int, Result<RESPValue, RedisError>).self) { group in
            for (index, client) in clients.enumerated() {
                group.addTask {
                    do throws(RedisError) {
                        return (index, .success(try await client.execute(command, options: options)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results: [(Int, Result<RESPValue, RedisError>)] = []
            for await answer in group { results.append(answer) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var first: RESPValue?
        var unreachable: RedisError?
        for result in results {
            switch result {
            case .success(let reply): first = first ?? reply
            case .failure(let error) where error.kind == .serverError: throw error
            case .failure(let error): unreachable = unreachable ?? error
            }
        }
        if let first { return first }
        throw unreachable ?? .notSent(.circuitOpen, "no cluster primary is known")
    }

    // MARK: Topology

    /// Waits for a first topology if there is none yet, at most until `deadline`.
    /// Every key matching `pattern` on every primary (see ``RedisClient/keys(matching:options:)``).
    func keys(matching pattern: String, options: RedisCommandOptions) async throws(RedisError) -> Set<String> {
        try await self.waitForTopology(deadline: ContinuousClock().now + (options.timeout ?? self.configuration.commandTimeout))
        var keys: Set<String> = []
        for client in self.state.withLock({ $0.primaryClients }) {
            keys.formUnion(try await client.keys(matching: pattern, options: options))
        }
        return keys
    }

    private func waitForTopology(deadline: ContinuousClock.Instant) async throws(RedisError) {
        switch self.state.withLock({ ($0.lifecycle, $0.hasTopology) }) {
        case (.running, true): return
        case (.idle, _), (.finished, _): throw .notSent(.clientNotRunning, "the Redis cluster client is not running; run it in a ServiceGroup first")
        case (.running, false): break
        }
        while ContinuousClock().now < deadline {
            await self.refreshTopology()
            if self.state.withLock({ $0.hasTopology }) { return }
            let pause = min(self.options.retryBackoff.maximum, ContinuousClock().now.duration(to: deadline))
            guard pause > .zero else { break }
            do {
                try await Task.sleep(for: pause)
            } catch {
                throw .notSent(.cancelled, "cancelled while waiting for the cluster topology")
            }
        }
        // The last node's answer names the cause, such as a seed that is a Redis without cluster support.
        let failure = self.state.withLock { $0.lastRefreshFailure }.map { " (the last said: \($0))" } ?? ""
        throw .notSent(
            .circuitOpen,
            "no Redis cluster node answered CLUSTER SHARDS\(failure); seeds: \(self.options.seeds.map(\.description))"
        )
    }

    /// Asks for a topology refresh without waiting for it.
    private func requestRefresh() {
        _ = self.startRefresh()
    }

    /// Refreshes the topology (or joins the refresh in flight) and waits for it.
    func refreshTopology() async {
        await self.startRefresh()?.value
    }

    private func startRefresh() -> Task<Void, Never>? {
        self.state.withLock { state in
            state.refresh(now: ContinuousClock().now, minimumInterval: self.options.minimumRefreshInterval) { wait in
                // One unstructured task per refresh, at most one at a time (the state holds it until it ends);
                // it only waits out the minimum interval and asks a node, so it never outlives run() by much.
                Task {
                    if wait > .zero { try? await Task.sleep(for: wait) }
                    await self.performRefresh()
                }
            }
        }
    }

    /// Asks the known nodes, then the seeds, for the topology; applies the first answer that covers any slot.
    private func performRefresh() async {
        let candidates = self.state.withLock { $0.refreshCandidates }
        let seeds = self.options.seeds.map { ClusterNodeAddress(host: $0.host, port: $0.port) }
        var lastError: RedisError?
        for address in candidates + seeds.filter({ !candidates.contains($0) }) {
            do {
                let topology = try await self.readTopology(from: address)
                guard topology.coveredSlotCount > 0 else { continue }
                let (created, change) = self.state.withLock { state in
                    let created = state.apply(topology, makeClient: self.makeNodeClient)
                    state.refreshFinished(at: ContinuousClock().now)
                    return (created, state.updateHealth())
                }
                for client in created { self.start(client) }
                RedisClusterMetrics.countRefresh(succeeded: true)
                self.logger.debug(
                    "cluster topology read",
                    metadata: ["redis.node": "\(address)", "redis.primaries": "\(topology.primaries.map(\.description))"]
                )
                self.log(change)
                return
            } catch {
                lastError = error
            }
        }
        let failure = lastError?.message ?? "no node to ask"
        self.state.withLock { $0.refreshFinished(at: ContinuousClock().now, failure: failure) }
        RedisClusterMetrics.countRefresh(succeeded: false)
        self.logger.warning("no cluster node answered CLUSTER SHARDS", metadata: ["redis.error": "\(failure)"])
    }

    /// Asks one node for the topology over a short-lived connection of its own.
    private func readTopology(from address: ClusterNodeAddress) async throws(RedisError) -> ClusterTopology {
        var connectionConfiguration = self.nodeConfiguration(for: address).connection
        connectionConfiguration.keepAliveInterval = .zero
        let connection = try await RedisConnection.connect(
            configuration: connectionConfiguration,
            eventLoop: self.configuration.eventLoopGroup.next(),
            id: 0,
            logger: self.logger
        )
        defer { connection.close() }
        let deadline = NIODeadline.now() + TimeAmount(self.configuration.commandTimeout)
        do {
            let reply = try await connection.execute(RESPCommand("CLUSTER", "SHARDS"), deadline: deadline)
            return try ClusterTopology(shardsReply: reply, answeringHost: address.host)
        } catch  where error.kind == .serverError && error.message.contains("unknown subcommand") {
            let reply = try await connection.execute(RESPCommand("CLUSTER", "SLOTS"), deadline: deadline)
            return try ClusterTopology(slotsReply: reply, answeringHost: address.host)
        }
    }

    // MARK: Nodes

    /// The configuration of one node's client: this client's, with the node's address and the seeds' login.
    private func nodeConfiguration(for address: ClusterNodeAddress) -> RedisClientConfiguration {
        var configuration = self.configuration
        configuration.cluster = nil
        let seed = self.options.seeds[0]
        configuration.connection.endpoint = RedisEndpoint(
            host: address.host,
            port: address.port,
            username: seed.username,
            password: seed.password,
            database: 0
        )
        return configuration
    }

    private func makeNodeClient(_ address: ClusterNodeAddress) -> RedisClient {
        var logger = self.logger
        logger[metadataKey: "redis.node"] = "\(address)"
        return RedisClient(configuration: self.nodeConfiguration(for: address), logger: logger)
    }

    /// Hands a new node client to ``run()``, which runs it and follows its health.
    private func start(_ client: RedisClient) {
        self.newNodes.yield(client)
    }

    /// Logs a change of the cluster's health; a cancelled client (a one-shot command ending) closed its nodes itself.
    private func log(_ change: RedisHealthChange?) {
        change?.log("Redis cluster health changed", to: self.logger, stopping: Task.isCancelled)
    }

    // MARK: Running

    /// Reads the topology, runs one client per node, refreshes the topology periodically, until graceful
    /// shutdown or cancellation.
    public func run() async throws {
        guard self.state.withLock({ $0.start() }) else {
            throw RedisError.notSent(.clientNotRunning, "RedisClusterClient.run() was called more than once")
        }
        self.logger.info("Redis cluster client starting", metadata: ["redis.seeds": "\(self.options.seeds.map(\.description))"])
        await withDiscardingTaskGroup { group in
            group.addTask {
                await self.refreshTopology()
                while true {
                    do {
                        try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.options.refreshInterval) }
                    } catch {
                        return
                    }
                    await self.refreshTopology()
                }
            }
            // Node clients join the group as the topology names them; each drains on graceful shutdown by itself.
            await withGracefulShutdownHandler {
                for await client in self.newNodeStream {
                    group.addTask { try? await client.run() }
                    group.addTask {
                        for await _ in client.healthUpdates() {
                            self.log(self.state.withLock { $0.updateHealth() })
                        }
                    }
                }
            } onGracefulShutdown: {
                self.newNodes.finish()
            }
        }
        self.newNodes.finish()
        let subscribers = self.state.withLock { $0.finish() }
        for subscriber in subscribers { subscriber.finish() }
        self.logger.info("Redis cluster client stopped")
    }
}
