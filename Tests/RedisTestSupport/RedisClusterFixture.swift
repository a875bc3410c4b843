import Foundation

/// A private Redis Cluster for one test: `redis-server` processes with `--cluster-enabled yes` on free ports (the
/// primaries, then their replicas), joined by `redis-cli --cluster create … --cluster-replicas N`, stopped by
/// ``stop()`` or `deinit`.
///
/// ``start(primaries:replicas:arguments:timeout:)`` returns once every node reports `cluster_state:ok`, knows every other
/// node and sees all 16384 slots assigned (polled, never slept on). The nodes run with
/// `--cluster-require-full-coverage no` unless the extra arguments say otherwise, so losing one primary leaves
/// the others serving their slots.
///
/// ```swift
/// let cluster = try await RedisClusterFixture.start()
/// defer { cluster.stop() }
/// let owner = try await cluster.owner(of: "event:{1}:tickets")
/// ```
public final class RedisClusterFixture: Sendable {
    /// The nodes, in the order they were started (primaries first, as `redis-cli --cluster create` assigns them).
    public let nodes: [RedisServerFixture]
    /// The cluster bus ports (`--cluster-port`), reserved like the client ports: port + 10000, Redis's default, may
    /// be taken or beyond 65535.
    private let busPorts: [Int]

    /// A `redis+cluster://` URL listing every node as a seed.
    public var url: String { "redis+cluster://" + self.nodes.map { "\($0.host):\($0.port)" }.joined(separator: ",") }

    /// How many of the nodes are replicas.
    private let replicaCount: Int

    private init(nodes: [RedisServerFixture], busPorts: [Int], replicaCount: Int) {
        self.nodes = nodes
        self.busPorts = busPorts
        self.replicaCount = replicaCount
    }

    deinit {
        self.stop()
    }

    /// Starts the nodes, creates the cluster and waits until it is consistent.
    /// - Parameters:
    ///   - primaries: How many primaries (at least 3, as `redis-cli --cluster create` demands).
    ///   - replicas: How many replicas each primary gets.
    ///   - extra: Arguments for every node, appended after the fixture's own.
    ///   - timeout: How long to wait for the cluster to become consistent.
    /// - Throws: ``RedisFixtureError`` or ``TimeoutError``; nodes already started are stopped.
    public static func start(
        primaries: Int = 3,
        replicas: Int = 0,
        arguments extra: [String] = [],
        timeout: Duration = .seconds(30)
    ) async throws -> RedisClusterFixture {
        var nodes: [RedisServerFixture] = []
        var busPorts: [Int] = []
        do {
            for _ in 0..<(primaries * (1 + replicas)) {
                let busPort = try FreePort.reserve()
                busPorts.append(busPort)
                nodes.append(
                    try await RedisServerFixture.start(
                        arguments: [
                            "--cluster-enabled", "yes", "--cluster-port", String(busPort), "--cluster-node-timeout", "2000",
                            "--cluster-require-full-coverage", "no",
                        ] + extra
                    )
                )
            }
            let fixture = RedisClusterFixture(nodes: nodes, busPorts: busPorts, replicaCount: primaries * replicas)
            _ = try await nodes[0].command(
                ["--cluster", "create"] + nodes.map { "\($0.host):\($0.port)" } + ["--cluster-replicas", String(replicas), "--cluster-yes"]
            )
            try await fixture.waitUntilConsistent(timeout: timeout)
            return fixture
        } catch {
            for node in nodes { node.stop() }
            for port in busPorts { FreePort.release(port) }
            throw error
        }
    }

    /// Stops every node. Idempotent.
    public func stop() {
        for node in self.nodes { node.stop() }
        for port in self.busPorts { FreePort.release(port) }
    }

    /// Waits until every running node reports `cluster_state:ok`, knows all nodes and sees every slot assigned, and
    /// every replica's link to its primary is up.
    /// - Throws: ``TimeoutError`` when that does not happen within `timeout`.
    public func waitUntilConsistent(timeout: Duration = .seconds(30)) async throws {
        let running = self.nodes.filter(\.isRunning)
        try await waitUntil(timeout: timeout, "cluster_state:ok on every node") {
            for node in running {
                guard let text = try? await node.command("CLUSTER", "INFO"),
                    text.contains("cluster_state:ok"), text.contains("cluster_slots_assigned:16384"),
                    text.contains("cluster_known_nodes:\(self.nodes.count)")
                else { return false }
            }
            var linkedReplicas = 0
            for node in running {
                let replication = try? await node.info("replication")
                if replication?["role"] == "slave", replication?["master_link_status"] == "up" { linkedReplicas += 1 }
            }
            return linkedReplicas == self.replicaCount
        }
    }

    /// The replicas of `primary`, each asked for its own primary (`INFO replication`).
    public func replicas(of primary: RedisServerFixture) async throws -> [RedisServerFixture] {
        var replicas: [RedisServerFixture] = []
        for node in self.nodes where node.port != primary.port && node.isRunning {
            let replication = try await node.info("replication")
            if replication["role"] == "slave", replication["master_port"] == String(primary.port) { replicas.append(node) }
        }
        return replicas
    }

    /// Waits until `replica` has received everything its primary wrote (equal replication offsets).
    public func waitUntilReplicated(_ replica: RedisServerFixture, from primary: RedisServerFixture, timeout: Duration = .seconds(10)) async throws {
        try await waitUntil(timeout: timeout, "replica \(replica.port) to catch up with \(primary.port)") {
            let primaryOffset = try await primary.info("replication")["master_repl_offset"]
            let replicaOffset = try await replica.info("replication")["slave_repl_offset"]
            return primaryOffset != nil && primaryOffset == replicaOffset
        }
    }

    /// The node's cluster id (`CLUSTER MYID`).
    public func id(of node: RedisServerFixture) async throws -> String {
        try await node.command("CLUSTER", "MYID")
    }

    /// The hash slot of `key`, as the cluster computes it (`CLUSTER KEYSLOT`).
    public func slot(of key: String) async throws -> Int {
        let reply = try await self.nodes[0].command("CLUSTER", "KEYSLOT", key)
        guard let slot = Int(reply) else { throw RedisFixtureError(.commandFailed, "CLUSTER KEYSLOT \(key) returned '\(reply)'") }
        return slot
    }

    /// The node that serves `slot`, according to the first running node's `CLUSTER NODES`.
    public func owner(ofSlot slot: Int) async throws -> RedisServerFixture {
        let reference = try self.firstRunning()
        let table = try await reference.command("CLUSTER", "NODES")
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 8, let port = Self.port(ofAddress: fields[1]) else { continue }
            for range in fields.dropFirst(8) where !range.hasPrefix("[") {
                let bounds = range.split(separator: "-").compactMap { Int($0) }
                let low = bounds.first ?? -1
                let high = bounds.count > 1 ? bounds[1] : low
                if (low...high).contains(slot), let node = self.nodes.first(where: { $0.port == port }) { return node }
            }
        }
        throw RedisFixtureError(.commandFailed, "no node serves slot \(slot):\n\(table)")
    }

    /// The node that serves `key`.
    public func owner(of key: String) async throws -> RedisServerFixture {
        try await self.owner(ofSlot: try await self.slot(of: key))
    }

    /// Sums a counter of `INFO errorstats` (`MOVED`, `ASK`, `TRYAGAIN`, `CROSSSLOT`) over the running nodes.
    public func errorCount(_ code: String) async throws -> Int {
        var total = 0
        for node in self.nodes where node.isRunning {
            total += try await node.errorStats()[code] ?? 0
        }
        return total
    }

    // MARK: Resharding, step by step

    /// Starts moving `slot` from `source` to `target`: `CLUSTER SETSLOT IMPORTING` on the target, then `MIGRATING`
    /// on the source. From now on the source answers `ASK` for keys it no longer holds.
    public func beginMigration(slot: Int, from source: RedisServerFixture, to target: RedisServerFixture) async throws {
        try await Self.expectOK(target.command("CLUSTER", "SETSLOT", String(slot), "IMPORTING", try await self.id(of: source)))
        try await Self.expectOK(source.command("CLUSTER", "SETSLOT", String(slot), "MIGRATING", try await self.id(of: target)))
    }

    /// Moves up to `count` keys of `slot` from `source` to `target` with `MIGRATE`; returns how many it moved.
    @discardableResult
    public func migrateKeys(slot: Int, count: Int, from source: RedisServerFixture, to target: RedisServerFixture) async throws -> Int {
        let listing = try await source.command("CLUSTER", "GETKEYSINSLOT", String(slot), String(count))
        let keys = listing.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        guard !keys.isEmpty else { return 0 }
        try await Self.expectOK(source.command(["MIGRATE", target.host, String(target.port), "", "0", "5000", "KEYS"] + keys))
        return keys.count
    }

    /// Ends the move: assigns `slot` to `target` on the target, the source and every other node
    /// (`CLUSTER SETSLOT NODE`). From now on the source answers `MOVED`.
    public func finishMigration(slot: Int, from source: RedisServerFixture, to target: RedisServerFixture) async throws {
        let targetID = try await self.id(of: target)
        try await Self.expectOK(target.command("CLUSTER", "SETSLOT", String(slot), "NODE", targetID))
        try await Self.expectOK(source.command("CLUSTER", "SETSLOT", String(slot), "NODE", targetID))
        for node in self.nodes where node.port != source.port && node.port != target.port && node.isRunning {
            try await Self.expectOK(node.command("CLUSTER", "SETSLOT", String(slot), "NODE", targetID))
        }
    }

    private func firstRunning() throws -> RedisServerFixture {
        guard let node = self.nodes.first(where: \.isRunning) else { throw RedisFixtureError(.fixtureStopped, "no cluster node is running") }
        return node
    }

    private static func port(ofAddress address: Substring) -> Int? {
        // `127.0.0.1:7000@17000` or `127.0.0.1:7000@17000,hostname`
        let hostPort = address.split(separator: "@").first ?? address
        return hostPort.split(separator: ":").last.flatMap { Int($0) }
    }

    private static func expectOK(_ reply: String) throws {
        guard reply == "OK" else { throw RedisFixtureError(.commandFailed, "expected OK, got '\(reply)'") }
    }
}
