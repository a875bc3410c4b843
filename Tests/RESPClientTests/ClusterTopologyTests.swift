import NIOCore
import Testing

@testable import RESPClient

/// Topology replies (`CLUSTER SHARDS`, `CLUSTER SLOTS`), command routing and the client-side CROSSSLOT check.
@Suite struct ClusterTopologyTests {
    static func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }

    static func node(ip: String, port: Int64, role: String, endpoint: String? = nil) -> RESPValue {
        .array([
            bulk("id"), bulk("abc"), bulk("port"), .integer(port), bulk("ip"), bulk(ip), bulk("endpoint"), bulk(endpoint ?? ip),
            bulk("role"), bulk(role), bulk("replication-offset"), .integer(0), bulk("health"), bulk("online"),
        ])
    }

    @Test func shardsReplyInRESP2() throws {
        let reply = RESPValue.array([
            .array([
                Self.bulk("slots"), .array([.integer(0), .integer(5460)]),
                Self.bulk("nodes"),
                .array([Self.node(ip: "127.0.0.1", port: 7001, role: "replica"), Self.node(ip: "127.0.0.1", port: 7000, role: "master")]),
            ]),
            .array([
                Self.bulk("slots"), .array([.integer(5461), .integer(10922), .integer(16000), .integer(16383)]),
                Self.bulk("nodes"), .array([Self.node(ip: "10.0.0.2", port: 7002, role: "master", endpoint: "?")]),
            ]),
            .array([Self.bulk("slots"), .array([]), Self.bulk("nodes"), .array([Self.node(ip: "10.0.0.3", port: 7003, role: "master")])]),
        ])
        let topology = try ClusterTopology(shardsReply: reply, answeringHost: "seed")
        #expect(topology.shards.count == 2)
        #expect(topology.shards[0].primary == ClusterNodeAddress(host: "127.0.0.1", port: 7000))
        #expect(topology.shards[0].slots == [0...5460])
        #expect(topology.shards[1].primary == ClusterNodeAddress(host: "10.0.0.2", port: 7002))
        #expect(topology.shards[1].slots == [5461...10922, 16000...16383])
        #expect(topology.coveredSlotCount == 5461 + 5462 + 384)
    }

    @Test func shardsReplyInRESP3() throws {
        let node = RESPValue.map([
            RESPMapEntry(key: Self.bulk("port"), value: .integer(7000)), RESPMapEntry(key: Self.bulk("ip"), value: Self.bulk("")),
            RESPMapEntry(key: Self.bulk("role"), value: Self.bulk("master")),
        ])
        let shard = RESPValue.map([
            RESPMapEntry(key: Self.bulk("slots"), value: .array([.integer(0), .integer(16383)])),
            RESPMapEntry(key: Self.bulk("nodes"), value: .array([node])),
        ])
        let topology = try ClusterTopology(shardsReply: .array([shard]), answeringHost: "seed")
        #expect(topology.shards == [.init(primary: ClusterNodeAddress(host: "seed", port: 7000), slots: [0...16383])])
    }

    @Test func slotsReply() throws {
        let reply = RESPValue.array([
            .array([.integer(0), .integer(99), .array([Self.bulk("127.0.0.1"), .integer(7000), Self.bulk("id1")])]),
            .array([
                .integer(100), .integer(16383), .array([Self.bulk(""), .integer(7001), Self.bulk("id2")]), .array([Self.bulk("r"), .integer(1)]),
            ]),
            .array([.integer(200), .integer(300), .array([Self.bulk("127.0.0.1"), .integer(7000), Self.bulk("id1")])]),
        ])
        let topology = try ClusterTopology(slotsReply: reply, answeringHost: "seed")
        #expect(topology.primaries == [ClusterNodeAddress(host: "127.0.0.1", port: 7000), ClusterNodeAddress(host: "seed", port: 7001)])
        #expect(topology.shards[0].slots == [0...99, 200...300])
    }

    @Test func malformedRepliesAreErrors() {
        #expect(throws: RedisError.self) { () throws in try ClusterTopology(shardsReply: .integer(1), answeringHost: "h") }
        #expect(throws: RedisError.self) { () throws in try ClusterTopology(shardsReply: .array([.array([Self.bulk("slots")])]), answeringHost: "h") }
        #expect(throws: RedisError.self) { () throws in try ClusterTopology(slotsReply: .array([.array([.integer(1)])]), answeringHost: "h") }
    }

    @Test func routes() throws {
        let tickets = HashSlot(key: "event:{7}:tickets")
        #expect(try RESPCommand("GET", "event:{7}:tickets").clusterRoute() == .slot(tickets))
        #expect(try RESPCommand("EVALSHA", "abc", 2, "event:{7}:tickets", "event:{7}:meta", "x").clusterRoute() == .slot(tickets))
        #expect(try RESPCommand("eval", "return 1", 0).clusterRoute() == .anyNode)
        #expect(try RESPCommand("MSET", "{7}a", "1", "{7}b", "2").clusterRoute() == .slot(tickets))
        #expect(try RESPCommand("PING").clusterRoute() == .anyNode)
        #expect(try RESPCommand("INFO", "server").clusterRoute() == .anyNode)
        #expect(try RESPCommand("SCRIPT", "LOAD", "return 1").clusterRoute() == .allPrimaries)
        #expect(try RESPCommand("DEL", .bytes(ByteBuffer(bytes: [0, 0x7B, 0x37, 0x7D]))).clusterRoute() == .slot(tickets))
    }

    @Test func keysInTwoSlotsAreRefusedBeforeSending() {
        for command in [
            RESPCommand("MGET", "event:{1}:tickets", "event:{2}:tickets"),
            RESPCommand("EVALSHA", "abc", 2, "event:{1}:tickets", "event:{2}:tickets"),
            RESPCommand("MSET", "a", "1", "b", "2"),
        ] {
            let error = #expect(throws: RedisError.self) { () throws in try command.clusterRoute() }
            #expect(error?.reason == .crossSlot)
            #expect(error?.kind == .notSent)
        }
    }

    @Test func clusterURLs() throws {
        let seeds = try #require(try RedisEndpoint.clusterSeeds(url: "redis+cluster://user:pw@10.0.0.1:7000,10.0.0.2,[::1]:7002"))
        #expect(seeds.map(\.host) == ["10.0.0.1", "10.0.0.2", "::1"])
        #expect(seeds.map(\.port) == [7000, 6379, 7002])
        #expect(seeds.allSatisfy { $0.username == "user" && $0.password == "pw" })
        #expect(try RedisEndpoint.clusterSeeds(url: "redis://127.0.0.1:6379") == nil)
        #expect(throws: RedisURLError.self) { () throws in try RedisEndpoint.clusterSeeds(url: "redis+cluster://") }
        #expect(throws: RedisURLError.self) { () throws in try RedisEndpoint.clusterSeeds(url: "redis+cluster://a:1,,b:2") }
        #expect(throws: RedisURLError.self) { () throws in try RedisEndpoint.clusterSeeds(url: "redis+cluster://a:1/3") }
        let configuration = try RedisClientConfiguration(url: "redis+cluster://127.0.0.1:7000,127.0.0.1:7001")
        #expect(configuration.cluster?.seeds.count == 2)
        #expect(try RedisClientConfiguration(url: "redis://127.0.0.1:7000").cluster == nil)
    }
}
