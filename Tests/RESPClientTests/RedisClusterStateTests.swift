import Logging
import Testing

@testable import RESPClient

/// The cluster client's slot table, node clients and single-flight refresh, without connections.
@Suite struct RedisClusterStateTests {
    static let a = ClusterNodeAddress(host: "10.0.0.1", port: 7000)
    static let b = ClusterNodeAddress(host: "10.0.0.2", port: 7000)
    static let c = ClusterNodeAddress(host: "10.0.0.3", port: 7000)

    static func makeClient(_ address: ClusterNodeAddress) -> RedisClient {
        RedisClient(
            configuration: RedisClientConfiguration(
                connection: RedisConnectionConfiguration(endpoint: RedisEndpoint(host: address.host, port: address.port))
            ),
            logger: Logger(label: "test")
        )
    }

    static func host(_ client: RedisClient?) -> String? {
        client.map { "\($0.configuration.connection.endpoint.host)" }
    }

    static let topology = ClusterTopology(shards: [
        .init(primary: a, slots: [0...5460]),
        .init(primary: b, slots: [5461...10922]),
        .init(primary: c, slots: [10923...16383]),
    ])

    @Test func topologyMapsEverySlotToItsPrimary() {
        var state = RedisClusterState()
        let created = state.apply(Self.topology, makeClient: Self.makeClient)
        #expect(created.count == 3)
        #expect(Self.host(state.client(for: HashSlot(rawValue: 0))) == "10.0.0.1")
        #expect(Self.host(state.client(for: HashSlot(rawValue: 5461))) == "10.0.0.2")
        #expect(Self.host(state.client(for: HashSlot(rawValue: 16383))) == "10.0.0.3")
        var picked: Set<String> = []
        for _ in 0..<6 { picked.insert(Self.host(state.anyPrimary()) ?? "none") }
        #expect(picked == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        // The same topology again makes no new client.
        #expect(state.apply(Self.topology, makeClient: Self.makeClient).isEmpty)
    }

    @Test func movedPatchesOneSlotOnly() {
        var state = RedisClusterState()
        _ = state.apply(Self.topology, makeClient: Self.makeClient)
        let (_, created) = state.patch(HashSlot(rawValue: 100), to: Self.c, makeClient: Self.makeClient)
        #expect(!created)
        #expect(Self.host(state.client(for: HashSlot(rawValue: 100))) == "10.0.0.3")
        #expect(Self.host(state.client(for: HashSlot(rawValue: 101))) == "10.0.0.1")
        let newNode = ClusterNodeAddress(host: "10.0.0.4", port: 7000)
        let (client, isNew) = state.patch(HashSlot(rawValue: 101), to: newNode, makeClient: Self.makeClient)
        #expect(isNew)
        #expect(state.client(for: HashSlot(rawValue: 101)) === client)
        #expect(state.refreshCandidates.prefix(3) == [Self.a, Self.b, Self.c][...])
        #expect(state.refreshCandidates.last == newNode)
    }

    @Test func refreshIsSingleFlightAndKeepsItsMinimumInterval() {
        var state = RedisClusterState()
        let clock = ContinuousClock()
        let start = clock.now
        var made: [Duration] = []
        let make: (Duration) -> Task<Void, Never> = { wait in
            made.append(wait)
            return Task {}
        }
        #expect(state.refresh(now: start, minimumInterval: .seconds(1), makeRefresh: make) == nil, "not running: no refresh")
        let started = state.start()
        #expect(started)
        let first = state.refresh(now: start, minimumInterval: .seconds(1), makeRefresh: make)
        let second = state.refresh(now: start.advanced(by: .milliseconds(10)), minimumInterval: .seconds(1), makeRefresh: make)
        #expect(first != nil && first == second)
        #expect(made == [.zero])
        state.refreshFinished(at: start.advanced(by: .milliseconds(100)))
        _ = state.refresh(now: start.advanced(by: .milliseconds(300)), minimumInterval: .seconds(1), makeRefresh: make)
        #expect(made == [.zero, .milliseconds(800)], "waits out the rest of the minimum interval")
        state.refreshFinished(at: start.advanced(by: .seconds(2)))
        _ = state.refresh(now: start.advanced(by: .seconds(5)), minimumInterval: .seconds(1), makeRefresh: make)
        #expect(made.last == .zero)
    }

    @Test func healthIsDownWithoutTopologyOrBeforeStart() {
        var state = RedisClusterState()
        #expect(state.updateHealth() == nil)
        #expect(state.health == .down)
        let started = state.start()
        #expect(started)
        _ = state.apply(Self.topology, makeClient: Self.makeClient)
        // Node clients that never ran are down, so the cluster is down too.
        #expect(state.updateHealth() == nil)
        #expect(state.health == .down)
    }
}
