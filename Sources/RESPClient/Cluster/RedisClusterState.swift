/// The shared state of a ``RedisClusterClient``, kept behind its mutex: the slot table, one client per known
/// node, the single topology refresh in flight, and health subscribers.
///
/// Every method is a short, non-blocking step.
struct RedisClusterState {
    enum Lifecycle { case idle, running, finished }

    private(set) var lifecycle: Lifecycle = .idle
    /// For every slot, the index in ``nodes`` of its primary, or -1 while no primary is known.
    private var slots = [Int32](repeating: -1, count: HashSlot.count)
    private var nodes: [ClusterNodeAddress] = []
    private var clients: [RedisClient] = []
    private var indexByAddress: [ClusterNodeAddress: Int] = [:]
    /// The primaries of the last topology read, as indices in ``nodes``.
    private(set) var primaryIndices: [Int] = []
    private var nextAnyNode: UInt = 0
    /// The refresh in flight (or waiting out the minimum interval), and when the last one finished.
    private var refresh: Task<Void, Never>?
    private var lastRefresh: ContinuousClock.Instant?
    /// Why the last refresh read no topology, when it read none: what the last node asked answered, for the error
    /// of a caller that waited for a topology in vain.
    private(set) var lastRefreshFailure: String?
    private var subscribers: [UInt64: AsyncStream<RedisHealth>.Continuation] = [:]
    private var nextSubscriberID: UInt64 = 0
    private(set) var health: RedisHealth = .down

    /// Whether any topology has been read yet.
    var hasTopology: Bool { !self.primaryIndices.isEmpty }

    /// The clients of the current primaries.
    var primaryClients: [RedisClient] { self.primaryIndices.map { self.clients[$0] } }

    /// Every node client ever made (primaries and nodes only seen in a redirect).
    var allClients: [RedisClient] { self.clients }

    // MARK: Lifecycle

    /// Marks the client running; `false` if it already ran.
    mutating func start() -> Bool {
        guard self.lifecycle == .idle else { return false }
        self.lifecycle = .running
        return true
    }

    /// Marks the client finished and hands back the health subscribers to finish.
    mutating func finish() -> [AsyncStream<RedisHealth>.Continuation] {
        self.lifecycle = .finished
        self.health = .down
        defer { self.subscribers.removeAll() }
        return Array(self.subscribers.values)
    }

    // MARK: Routing

    /// The client of the primary that serves `slot`, if one is known.
    func client(for slot: HashSlot) -> RedisClient? {
        let index = self.slots[Int(slot.rawValue)]
        return index < 0 ? nil : self.clients[Int(index)]
    }

    /// Some primary's client for a command without keys, taking them in turn and skipping primaries that cannot be
    /// reached while another can: a `PING` then tells whether the cluster answers, not whether one shard is lost.
    mutating func anyPrimary() -> RedisClient? {
        guard !self.primaryIndices.isEmpty else { return nil }
        self.nextAnyNode &+= 1
        let count = UInt(self.primaryIndices.count)
        for offset in 0..<count {
            let client = self.clients[self.primaryIndices[Int((self.nextAnyNode &+ offset) % count)]]
            if client.health != .down { return client }
        }
        return self.clients[self.primaryIndices[Int(self.nextAnyNode % count)]]
    }

    /// The client of `address`, made with `makeClient` if the node is new (then `created` is `true`, and the
    /// caller must start it).
    mutating func client(
        for address: ClusterNodeAddress,
        makeClient: (ClusterNodeAddress) -> RedisClient
    ) -> (client: RedisClient, created: Bool) {
        if let index = self.indexByAddress[address] { return (self.clients[index], false) }
        let client = makeClient(address)
        self.indexByAddress[address] = self.nodes.count
        self.nodes.append(address)
        self.clients.append(client)
        return (client, true)
    }

    /// Points one slot at `address` (after `MOVED`); returns the node's client and whether it is new.
    mutating func patch(
        _ slot: HashSlot,
        to address: ClusterNodeAddress,
        makeClient: (ClusterNodeAddress) -> RedisClient
    ) -> (client: RedisClient, created: Bool) {
        let result = self.client(for: address, makeClient: makeClient)
        self.slots[Int(slot.rawValue)] = Int32(self.indexByAddress[address]!)
        return result
    }

    /// Replaces the slot table with `topology`; returns the clients of nodes seen for the first time.
    mutating func apply(_ topology: ClusterTopology, makeClient: (ClusterNodeAddress) -> RedisClient) -> [RedisClient] {
        var created: [RedisClient] = []
        var primaries: [Int] = []
        var slots = [Int32](repeating: -1, count: HashSlot.count)
        for shard in topology.shards {
            let (client, isNew) = self.client(for: shard.primary, makeClient: makeClient)
            if isNew { created.append(client) }
            let index = self.indexByAddress[shard.primary]!
            primaries.append(index)
            for range in shard.slots {
                for slot in range { slots[Int(slot)] = Int32(index) }
            }
        }
        self.slots = slots
        self.primaryIndices = primaries
        return created
    }

    // MARK: Refresh

    /// The refresh to wait for: the one in flight, or a new one made by `makeRefresh` (given how long it must
    /// first wait to keep `minimumInterval` after the last one).
    mutating func refresh(
        now: ContinuousClock.Instant,
        minimumInterval: Duration,
        makeRefresh: (Duration) -> Task<Void, Never>
    ) -> Task<Void, Never>? {
        guard self.lifecycle == .running else { return nil }
        if let refresh = self.refresh { return refresh }
        let wait = self.lastRefresh.map { max(.zero, minimumInterval - ($0.duration(to: now))) } ?? .zero
        let refresh = makeRefresh(wait)
        self.refresh = refresh
        return refresh
    }

    /// Records that the refresh in flight has finished, and why it read no topology (`failure`), if it did not.
    mutating func refreshFinished(at now: ContinuousClock.Instant, failure: String? = nil) {
        self.refresh = nil
        self.lastRefresh = now
        self.lastRefreshFailure = failure
    }

    /// The addresses to ask for the topology: the current primaries first, then every other known node.
    var refreshCandidates: [ClusterNodeAddress] {
        let primaries = self.primaryIndices.map { self.nodes[$0] }
        return primaries + self.nodes.filter { !primaries.contains($0) }
    }

    // MARK: Health

    /// Adds a health subscriber.
    mutating func subscribe(_ continuation: AsyncStream<RedisHealth>.Continuation) -> UInt64 {
        self.nextSubscriberID += 1
        self.subscribers[self.nextSubscriberID] = continuation
        return self.nextSubscriberID
    }

    /// Removes a health subscriber.
    mutating func unsubscribe(_ id: UInt64) {
        self.subscribers[id] = nil
    }

    /// Recomputes the health from the primaries' clients: up when all are up, down when none is reachable or no
    /// topology is known, degraded otherwise. Tells the subscribers when it changed.
    mutating func updateHealth() -> RedisHealthChange? {
        let healths = self.primaryClients.map(\.health)
        let new: RedisHealth
        if self.lifecycle != .running || healths.isEmpty || healths.allSatisfy({ $0 == .down }) {
            new = .down
        } else if healths.allSatisfy({ $0 == .up }) {
            new = .up
        } else {
            new = .degraded
        }
        guard new != self.health else { return nil }
        let change = RedisHealthChange(old: self.health, new: new)
        self.health = new
        for subscriber in self.subscribers.values { subscriber.yield(new) }
        return change
    }
}
