import Logging
import RESPClient
import RedisTestSupport
import Synchronization
import Testing

/// A private 3-primary cluster (with `replicas` replicas each) and a running cluster-mode ``RedisClient`` on it (all
/// nodes as seeds), for the duration of `body`.
func withCluster<T: Sendable>(
    replicas: Int = 0,
    configure: (inout RedisClientConfiguration) -> Void = { _ in },
    _ body: @Sendable (RedisClusterFixture, RedisClient) async throws -> T
) async throws -> T {
    let cluster = try await RedisClusterFixture.start(replicas: replicas)
    defer { cluster.stop() }
    var configuration = try RedisClientConfiguration(url: cluster.url)
    // Generous: a small machine runs the cluster, the client and other builds at once.
    configuration.commandTimeout = .seconds(10)
    configuration.connection.connectTimeout = .seconds(5)
    configure(&configuration)
    let client = RedisClient(configuration: configuration, logger: Logger(label: "test.cluster"))
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await client.run() }
        defer { group.cancelAll() }
        try #require(await client.waitUntilConnected(allConnections: true, timeout: .seconds(15)))
        return try await body(cluster, client)
    }
}

/// Ids `1`, `2`, … until there are at least `count` and their slots cover every node of `cluster`.
func idsOnEveryShard(_ cluster: RedisClusterFixture, atLeast count: Int) async throws -> [String] {
    var ids: [String] = []
    var ports: Set<Int> = []
    while ids.count < count || ports.count < cluster.nodes.count {
        let id = String(ids.count + 1)
        ports.insert(try await cluster.owner(ofSlot: Int(HashSlot(key: id).rawValue)).port)
        ids.append(id)
    }
    return ids
}

/// The ``RedisError`` `body` throws, or `nil` if it succeeds.
func redisError(_ body: () async throws(RedisError) -> Void) async -> RedisError? {
    do {
        try await body()
        return nil
    } catch {
        return error
    }
}

/// A flag one task sets and others read, to stop loops between commands rather than by cancelling them.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { self.value.load(ordering: .relaxed) }
    func set() { self.value.store(true, ordering: .relaxed) }
}
