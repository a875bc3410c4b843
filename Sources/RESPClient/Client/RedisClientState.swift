/// The shared state of a ``RedisClient``, kept behind its mutex: lifecycle, live connections, the circuit
/// breaker, callers waiting for a first connection, and health subscribers.
///
/// Every method is a short, non-blocking step (resuming a continuation only enqueues the caller).
struct RedisClientState {
    enum Lifecycle { case idle, running, shuttingDown, finished }

    private(set) var lifecycle: Lifecycle = .idle
    private var slots: [RedisConnection?]
    private var consecutiveConnectFailures = 0
    private let failureThreshold: Int
    private var lastConnectError: RedisError?
    private var waiters: [UInt64: CheckedContinuation<RedisConnection, any Error>] = [:]
    /// Callers told to wait that have not parked their continuation yet.
    private var unparkedWaiters: Set<UInt64> = []
    /// Unparked waiters whose outcome was decided before they parked (a race with their timeout or cancellation).
    private var decidedWaiters: [UInt64: RedisError] = [:]
    private var subscribers: [UInt64: AsyncStream<RedisHealth>.Continuation] = [:]
    /// Whether health streams are over: the client stops, so what its connections do next is no news of Redis.
    private(set) var healthUpdatesEnded = false
    private var nextID: UInt64 = 0
    private(set) var health: RedisHealth = .down

    init(slotCount: Int, failureThreshold: Int) {
        self.slots = Array(repeating: nil, count: slotCount)
        self.failureThreshold = failureThreshold
    }

    /// No connection is up and the last `failureThreshold` connect attempts failed.
    private var circuitOpen: Bool {
        self.liveCount == 0 && self.consecutiveConnectFailures >= self.failureThreshold
    }

    /// Commands handed to a live connection and not yet answered.
    var outstandingCommandCount: Int {
        self.slots.reduce(0) { $0 + ($1?.outstandingCount ?? 0) }
    }

    private var liveCount: Int { self.slots.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    private mutating func makeID() -> UInt64 {
        self.nextID += 1
        return self.nextID
    }

    // MARK: Leasing

    enum LeaseResult {
        case connection(RedisConnection)
        case fail(RedisError)
        /// Park the caller under this id until a connection comes up or the attempt fails.
        case wait(UInt64)
    }

    /// Picks the live connection with the fewest outstanding commands, or says why there is none.
    mutating func lease() -> LeaseResult {
        if let decided = self.leaseWithoutWaiting() { return decided }
        let id = self.makeID()
        self.unparkedWaiters.insert(id)
        return .wait(id)
    }

    /// A connection or a failure, or `nil` when the caller has to wait for a connect attempt.
    private func leaseWithoutWaiting() -> LeaseResult? {
        switch self.lifecycle {
        case .idle, .finished:
            return .fail(.notSent(.clientNotRunning, "the Redis client is not running; run it in a ServiceGroup first"))
        case .shuttingDown:
            return .fail(.notSent(.shuttingDown, "the Redis client is shutting down"))
        case .running:
            break
        }
        var best: RedisConnection?
        var bestLoad = Int.max
        for case let connection? in self.slots {
            let load = connection.outstandingCount
            if load < bestLoad {
                best = connection
                bestLoad = load
            }
        }
        if let best { return .connection(best) }
        if self.circuitOpen {
            let reason = self.lastConnectError?.message ?? "no connection is up"
            return .fail(.notSent(.circuitOpen, "Redis is unreachable: \(reason)"))
        }
        return nil
    }

    /// Parks a waiting caller, unless its outcome was already decided.
    mutating func park(_ id: UInt64, _ continuation: CheckedContinuation<RedisConnection, any Error>) {
        self.unparkedWaiters.remove(id)
        if let error = self.decidedWaiters.removeValue(forKey: id) {
            continuation.resume(throwing: error)
            return
        }
        // The world may have changed between `lease()` and now.
        switch self.leaseWithoutWaiting() {
        case .connection(let connection): continuation.resume(returning: connection)
        case .fail(let error): continuation.resume(throwing: error)
        case .wait, nil: self.waiters[id] = continuation
        }
    }

    /// Fails one waiting caller (its deadline passed, or it was cancelled); a no-op once it was answered.
    mutating func failWaiter(_ id: UInt64, _ error: RedisError) {
        if let continuation = self.waiters.removeValue(forKey: id) {
            continuation.resume(throwing: error)
        } else if self.unparkedWaiters.contains(id) {
            // Not parked yet: remember, so that `park` answers at once.
            self.decidedWaiters[id] = error
        }
    }

    // MARK: Slots

    enum SlotAction {
        case connect
        /// Another slot is probing a server that is down; wait until it gets through.
        case waitForProbe
        case stop
    }

    /// What slot `slot` should do next: connect, wait while slot 0 probes a down server, or stop.
    func slotAction(_ slot: Int) -> SlotAction {
        guard self.lifecycle == .running else { return .stop }
        if slot != 0, self.circuitOpen { return .waitForProbe }
        return .connect
    }

    /// A connection came up: close the breaker, hand it to every waiting caller.
    mutating func register(
        _ connection: RedisConnection,
        slot: Int
    ) -> (RedisHealthChange?, [CheckedContinuation<RedisConnection, any Error>], Int) {
        if self.lifecycle != .running {
            connection.drainAndClose()
        }
        self.slots[slot] = connection
        self.consecutiveConnectFailures = 0
        self.lastConnectError = nil
        let waiters = Array(self.waiters.values)
        self.waiters.removeAll()
        return (self.updateHealth(), waiters, self.liveCount)
    }

    /// A connection closed.
    mutating func unregister(slot: Int) -> (RedisHealthChange?, Int, Bool) {
        self.slots[slot] = nil
        return (self.updateHealth(), self.liveCount, self.lifecycle != .running)
    }

    /// A connect attempt failed. Returns the callers to fail if the breaker opened now.
    mutating func connectFailed(
        _ error: RedisError
    ) -> (RedisHealthChange?, [CheckedContinuation<RedisConnection, any Error>], Bool) {
        let wasOpen = self.circuitOpen
        self.consecutiveConnectFailures += 1
        self.lastConnectError = error
        guard self.circuitOpen else { return (self.updateHealth(), [], false) }
        let waiters = Array(self.waiters.values)
        self.waiters.removeAll()
        return (self.updateHealth(), waiters, !wasOpen)
    }

    // MARK: Health

    mutating func subscribe(_ continuation: AsyncStream<RedisHealth>.Continuation) -> UInt64 {
        let id = self.makeID()
        self.subscribers[id] = continuation
        return id
    }

    mutating func unsubscribe(_ id: UInt64) {
        self.subscribers[id] = nil
    }

    /// Ends the health streams: the subscribers, to be finished by the caller outside the lock (finishing runs their
    /// termination handlers, which lock).
    mutating func endHealthUpdates() -> [AsyncStream<RedisHealth>.Continuation] {
        self.healthUpdatesEnded = true
        defer { self.subscribers.removeAll() }
        return Array(self.subscribers.values)
    }

    private mutating func updateHealth() -> RedisHealthChange? {
        let live = self.liveCount
        let new: RedisHealth = live == self.slots.count ? .up : (live == 0 ? .down : .degraded)
        guard new != self.health else { return nil }
        let change = RedisHealthChange(old: self.health, new: new)
        self.health = new
        for continuation in self.subscribers.values { continuation.yield(new) }
        return change
    }

    // MARK: Lifecycle

    /// Marks the client running; `false` if it ran before.
    mutating func start() -> Bool {
        guard self.lifecycle == .idle else { return false }
        self.lifecycle = .running
        return true
    }

    /// Graceful shutdown begins: waiting callers are to be failed, live connections drained, health streams
    /// finished (by the caller, outside the lock: finishing runs their termination handlers, which lock).
    mutating func beginShutdown() -> (
        [CheckedContinuation<RedisConnection, any Error>], [RedisConnection], [AsyncStream<RedisHealth>.Continuation]
    ) {
        guard self.lifecycle == .running else { return ([], [], []) }
        self.lifecycle = .shuttingDown
        let waiters = Array(self.waiters.values)
        self.waiters.removeAll()
        self.decidedWaiters.removeAll()
        return (waiters, self.slots.compactMap { $0 }, self.endHealthUpdates())
    }

    /// `run()` returned: nothing is live any more.
    mutating func finish() -> ([AsyncStream<RedisHealth>.Continuation], [RedisConnection]) {
        self.lifecycle = .finished
        let connections = self.slots.compactMap { $0 }
        self.slots = Array(repeating: nil, count: self.slots.count)
        for waiter in self.waiters.values {
            waiter.resume(throwing: RedisError.notSent(.clientNotRunning, "the Redis client stopped"))
        }
        self.waiters.removeAll()
        self.decidedWaiters.removeAll()
        self.health = .down
        return (self.endHealthUpdates(), connections)
    }
}
