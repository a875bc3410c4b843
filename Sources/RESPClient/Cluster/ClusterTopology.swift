/// Which primary serves which hash slots, as read from `CLUSTER SHARDS` (Redis 7+) or `CLUSTER SLOTS` (older).
struct ClusterTopology: Sendable, Hashable {
    /// One primary and the slot ranges it serves.
    struct Shard: Sendable, Hashable {
        var primary: ClusterNodeAddress
        var slots: [ClosedRange<UInt16>]
    }

    var shards: [Shard]

    /// The primaries, in the order of their shards.
    var primaries: [ClusterNodeAddress] { self.shards.map(\.primary) }

    /// How many of the 16384 slots have a primary.
    var coveredSlotCount: Int {
        self.shards.reduce(0) { total, shard in total + shard.slots.reduce(0) { $0 + $1.count } }
    }

    init(shards: [Shard]) {
        self.shards = shards
    }

    /// Reads a `CLUSTER SHARDS` reply, RESP2 (flat key/value arrays) or RESP3 (maps).
    ///
    /// Shards without slots or without a primary are left out. A node announced with an empty or unknown
    /// (`?`) address takes `answeringHost`, the host of the node that sent the reply.
    /// - Throws: `serverError` when the reply does not have the documented shape.
    init(shardsReply reply: RESPValue, answeringHost: String) throws(RedisError) {
        guard let entries = reply.array else { throw Self.malformed("CLUSTER SHARDS", reply) }
        var shards: [Shard] = []
        for entry in entries {
            guard let shard = Self.fields(of: entry), let slotBounds = shard["slots"]?.array, let nodes = shard["nodes"]?.array else {
                throw Self.malformed("CLUSTER SHARDS", entry)
            }
            var ranges: [ClosedRange<UInt16>] = []
            var index = 0
            while index + 1 < slotBounds.count {
                guard let low = slotBounds[index].integer.flatMap(UInt16.init(exactly:)),
                    let high = slotBounds[index + 1].integer.flatMap(UInt16.init(exactly:)), low <= high, Int(high) < HashSlot.count
                else { throw Self.malformed("CLUSTER SHARDS", entry) }
                ranges.append(low...high)
                index += 2
            }
            let primary = nodes.lazy.compactMap(Self.fields(of:)).first { $0["role"]?.string == "master" }
            guard !ranges.isEmpty, let primary else { continue }
            var host = primary["endpoint"]?.string ?? ""
            if host.isEmpty || host == "?" { host = primary["ip"]?.string ?? "" }
            if host.isEmpty || host == "?" { host = answeringHost }
            guard let port = (primary["port"] ?? primary["tls-port"])?.integer.flatMap(Int.init(exactly:)) else {
                throw Self.malformed("CLUSTER SHARDS", entry)
            }
            shards.append(Shard(primary: ClusterNodeAddress(host: host, port: port), slots: ranges))
        }
        self.init(shards: shards)
    }

    /// Reads a `CLUSTER SLOTS` reply: `[[start, end, [host, port, id, …], replicas…], …]`.
    /// - Throws: `serverError` when the reply does not have the documented shape.
    init(slotsReply reply: RESPValue, answeringHost: String) throws(RedisError) {
        guard let entries = reply.array else { throw Self.malformed("CLUSTER SLOTS", reply) }
        var byPrimary: [ClusterNodeAddress: [ClosedRange<UInt16>]] = [:]
        var order: [ClusterNodeAddress] = []
        for entry in entries {
            guard let fields = entry.array, fields.count >= 3,
                let low = fields[0].integer.flatMap(UInt16.init(exactly:)),
                let high = fields[1].integer.flatMap(UInt16.init(exactly:)), low <= high, Int(high) < HashSlot.count,
                let node = fields[2].array, node.count >= 2,
                let port = node[1].integer.flatMap(Int.init(exactly:))
            else { throw Self.malformed("CLUSTER SLOTS", entry) }
            var host = node[0].string ?? ""
            if host.isEmpty || host == "?" { host = answeringHost }
            let address = ClusterNodeAddress(host: host, port: port)
            if byPrimary[address] == nil { order.append(address) }
            byPrimary[address, default: []].append(low...high)
        }
        self.init(shards: order.map { Shard(primary: $0, slots: byPrimary[$0] ?? []) })
    }

    /// The entries of a RESP3 map or of a RESP2 flat `[key, value, key, value, …]` array, by key.
    private static func fields(of value: RESPValue) -> [String: RESPValue]? {
        var fields: [String: RESPValue] = [:]
        switch value {
        case .map(let entries):
            for entry in entries {
                guard let key = entry.key.string else { return nil }
                fields[key] = entry.value
            }
        case .array(let flat):
            guard flat.count % 2 == 0 else { return nil }
            var index = 0
            while index < flat.count {
                guard let key = flat[index].string else { return nil }
                fields[key] = flat[index + 1]
                index += 2
            }
        default:
            return nil
        }
        return fields
    }

    private static func malformed(_ command: String, _ value: RESPValue) -> RedisError {
        RedisError(kind: .serverError, reason: .serverReply, message: "unexpected \(command) reply: \(value)")
    }
}
