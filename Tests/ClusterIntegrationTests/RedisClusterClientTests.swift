import Logging
import RESPClient
import RedisTestSupport
import Testing

/// The cluster-mode client against a real 3-primary Redis Cluster (C2, C3, C4, C6, C7 of the design brief).
@Suite(.serialized, .timeLimit(.minutes(5))) struct RedisClusterClientTests {
    @Test func commandsScriptsAndPipelinesReachEveryShard() async throws {
        try await withCluster { cluster, client throws in
            let keys = try await idsOnEveryShard(cluster, atLeast: 9).map { "counter:{\($0)}" }
            var owners: Set<Int> = []
            for key in keys { owners.insert(try await cluster.owner(of: key).port) }
            #expect(owners.count == 3)

            for key in keys {
                _ = try await client.execute(RESPCommand("SET", .string(key), "0"))
                _ = try await client.execute(RESPCommand("INCR", .string(key)))
                #expect(try await client.execute(RESPCommand("INCR", .string(key))).integer == 2)
            }
            let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
            try await client.loadScript(script)
            for key in keys {
                #expect(try await client.evalScript(script, keys: [.string(key)], arguments: [10]).integer == 12)
            }
            for node in cluster.nodes {
                let stats = try await node.commandStats()
                #expect(Int(stats["evalsha"]?["calls"] ?? "0") ?? 0 > 0, "every primary ran EVALSHA")
                #expect(stats["eval"] == nil, "SCRIPT LOAD reached every primary, so no EVAL was needed")
                #expect(Int(try await node.command("DBSIZE")) ?? 0 > 0)
            }
            #expect(try await cluster.errorCount("MOVED") == 0, "routed right the first time")

            // One node loses its script cache: only that node sees a NOSCRIPT and one EVAL.
            let flushed = try await cluster.owner(of: keys[0])
            #expect(try await flushed.command("SCRIPT", "FLUSH") == "OK")
            for key in keys {
                #expect(try await client.evalScript(script, keys: [.string(key)], arguments: [10]).integer == 22)
            }
            for node in cluster.nodes {
                let noscript = try await node.errorStats()["NOSCRIPT"] ?? 0
                let evals = Int(try await node.commandStats()["eval"]?["calls"] ?? "0") ?? 0
                #expect(noscript == (node.port == flushed.port ? 1 : 0))
                #expect(evals == (node.port == flushed.port ? 1 : 0))
            }

            // A pipeline across shards answers in the caller's order.
            let replies = try await client.pipeline(keys.map { RESPCommand("GET", .string($0)) })
            #expect(replies.map { try? $0.get().string } == keys.map { _ in "22" })
        }
    }

    @Test func keysInTwoSlotsAreRefusedBeforeSending() async throws {
        try await withCluster { cluster, client throws in
            let mget = await redisError { () throws(RedisError) in
                _ = try await client.execute(RESPCommand("MGET", "event:{1}:tickets", "event:{2}:tickets"))
            }
            #expect(mget?.kind == .notSent)
            #expect(mget?.reason == .crossSlot)
            let script = await redisError { () throws(RedisError) in
                _ = try await client.evalScript(RedisScript("return 1"), keys: ["event:{1}:tickets", "event:{2}:tickets"])
            }
            #expect(script?.reason == .crossSlot)
            #expect(try await cluster.errorCount("CROSSSLOT") == 0)
            for node in cluster.nodes {
                let stats = try await node.commandStats()
                #expect(stats["mget"] == nil && stats["evalsha"] == nil, "nothing reached the server")
            }
        }
    }

    /// `CLUSTER SHARDS` calls over all nodes: how often the client read the topology.
    static func topologyReads(_ cluster: RedisClusterFixture) async throws -> Int {
        var total = 0
        for node in cluster.nodes { total += Int(try await node.commandStats()["cluster|shards"]?["calls"] ?? "0") ?? 0 }
        return total
    }

    /// A slot moves while commands run: `ASK` while it migrates, `MOVED` once it has moved; every `INCR` counted once.
    @Test func aSlotMigratedUnderLoadLosesAndRepeatsNothing() async throws {
        try await withCluster { cluster, client throws in
            let keys = (1...20).map { "{mig}:\($0)" }
            let hot = "{mig}:hot"
            let slot = try await cluster.slot(of: hot)
            let source = try await cluster.owner(ofSlot: slot)
            let target = try #require(cluster.nodes.first { $0.port != source.port })
            for key in keys { _ = try await client.execute(RESPCommand("INCR", .string(key))) }

            let stop = StopFlag()
            async let load: (Int, [String]) = {
                var done = 0
                var failures: [String] = []
                while !stop.isSet {
                    do throws(RedisError) {
                        _ = try await client.execute(RESPCommand("INCR", .string(hot)))
                        done += 1
                    } catch {
                        failures.append(error.message)
                    }
                }
                return (done, failures)
            }()

            try await cluster.beginMigration(slot: slot, from: source, to: target)
            try await cluster.migrateKeys(slot: slot, count: 10, from: source, to: target)
            // Half the keys are on the target now: the source answers ASK for them.
            for key in keys { _ = try await client.execute(RESPCommand("INCR", .string(key))) }
            while try await cluster.migrateKeys(slot: slot, count: 10, from: source, to: target) > 0 {}
            stop.set()
            let (hotIncrements, failures) = await load

            let refreshesBefore = try await Self.topologyReads(cluster)
            try await cluster.finishMigration(slot: slot, from: source, to: target)
            // The slot has moved: 500 commands at once meet MOVED (all sent before the slot was patched); the
            // topology is read again once or twice, not once per MOVED (single flight, minimum interval).
            try await withThrowingTaskGroup(of: Void.self) { group in
                for key in keys {
                    for _ in 0..<25 { group.addTask { _ = try await client.execute(RESPCommand("INCR", .string(key))) } }
                }
                try await group.waitForAll()
            }
            let movedAfterPatch = try await cluster.errorCount("MOVED")
            try await waitUntil(timeout: .seconds(10), "the topology refresh a MOVED asks for") {
                try await Self.topologyReads(cluster) > refreshesBefore
            }
            let refreshes = try await Self.topologyReads(cluster) - refreshesBefore
            #expect(refreshes <= 3, "CLUSTER SHARDS calls after \(movedAfterPatch) MOVED replies")
            // Routed straight to the new owner now.
            for key in keys { _ = try await client.execute(RESPCommand("INCR", .string(key))) }

            #expect(failures.isEmpty, "\(failures.prefix(5))")
            for key in keys {
                #expect(try await target.command("GET", key) == "28")
            }
            #expect(try await target.command("GET", hot) == String(hotIncrements))
            let moved = try await cluster.errorCount("MOVED")
            let ask = try await cluster.errorCount("ASK")
            let tryAgain = try await cluster.errorCount("TRYAGAIN")
            print(
                "cluster migration test: errorstat MOVED=\(moved) ASK=\(ask) TRYAGAIN=\(tryAgain); \(refreshes) topology reads after the move; "
                    + "\(hotIncrements) INCR of the hot key under load"
            )
            #expect(moved >= 1)
            #expect(ask >= 1)
            #expect(moved == movedAfterPatch, "after the MOVED the slot was patched: no further redirect")
        }
    }

    /// Two nodes that each send a slot to the other: the client gives up after `maxRedirects`, it does not loop.
    @Test func aRedirectLoopEndsAfterTheRedirectLimit() async throws {
        try await withCluster { cluster, client throws in
            let key = "loop:{nobody}"
            let slot = try await cluster.slot(of: key)
            let owner = try await cluster.owner(ofSlot: slot)
            let other = try #require(cluster.nodes.first { $0.port != owner.port })
            // The owner hands the (empty) slot to `other`, which still believes the owner has it.
            #expect(try await owner.command("CLUSTER", "SETSLOT", String(slot), "NODE", try await cluster.id(of: other)) == "OK")
            let movedBefore = try await cluster.errorCount("MOVED")

            let error = await redisError { () throws(RedisError) in _ = try await client.execute(RESPCommand("GET", .string(key))) }
            #expect(error?.serverErrorCode == "MOVED")
            #expect(error?.message.contains("gave up after 5 redirects") == true, "\(String(describing: error))")
            #expect(try await cluster.errorCount("MOVED") - movedBefore == 6, "the first reply and five redirects followed")
        }
    }
}
