import Foundation
import Logging
import RESPClient
import ServiceLifecycle
import Synchronization
import TicketCore
import Tracing

/// A ticket store that sells through Redis while it can, and from this instance's own escrow while it cannot,
/// without ever selling a ticket twice.
///
/// - While Redis is up it sells through ``RedisTicketStore`` and keeps, per event, a small block of tickets moved
///   out of the shared pool into this instance's escrow (``RedisEscrow``), mirrored in memory and on disk.
/// - When the client reports Redis down, or a purchase fails before it was sent, it sells from that escrow,
///   which no other instance may touch, and answers only once the sale is `fsync`'d in the local journal.
/// - When Redis is back it settles the journal (idempotently by purchase id), and only then sells through Redis
///   again. When an event's pool runs low it gives its escrow back, so sold out stays exact.
///
/// Run it as a `Service` listed after the Redis client (it stops first): on graceful shutdown it settles and
/// gives its escrow back. Create it with ``open(redis:client:files:instance:configuration:logger:)``.
public final class FallbackTicketStore: TicketStore, TicketAuditor, Service {
    private struct State {
        var escrow: LocalEscrow
        var mode: FallbackMode
        var since: Int64
        var fallbackSales = 0
        var settleConflicts = 0
        /// When the latest stay in fallback began (0 if never), for this instance's report in Redis.
        var lastFallbackAt: Int64 = 0
        var refreshQueued = false
        /// Settling before the switch back to Redis: no new sale from escrow, so the journal can empty.
        var draining = false
        /// Shutting down: the escrow is being given back and must not be topped up again.
        var stopping = false
        /// Events whose escrow is on its way back to the pool: gone from the local escrow, not yet in the pool.
        var givingBack: Set<EventID> = []
        /// No escrow is taken while set (``pauseEscrowTopUps()``).
        var topUpsPaused = false
        /// Redis's refusal while it answers but takes no writes (out of memory, say): purchases it refuses sell
        /// from escrow, and `/health` says so. Cleared by a refresh that writes to Redis again.
        var writesRefused: String?
        /// Another fallback directory holds this instance id (see ``claimInstanceID()``); warned once until it no
        /// longer does.
        var claimedElsewhere = false

        /// Whether this instance holds escrow tickets or unsettled sales, which its instance id's claim must keep.
        var holdsEscrowOrSales: Bool { self.escrow.available.values.contains { $0 > 0 } || self.escrow.backlog > 0 }

        /// Whether a buyer who heard sold out should wait for this instance's escrow of `event` to reach the pool
        /// and ask again: it holds some, or some is on its way there.
        func mayRefill(_ event: EventID) -> Bool {
            self.escrow.holds(event) || self.givingBack.contains(event)
        }
    }

    private enum Job {
        case refresh
        case seed(CheckedContinuation<Bool, Never>)
        /// Give an event's escrow back for a buyer who found its pool empty: Redis has just answered.
        case giveBack(EventID, CheckedContinuation<Void, Never>)
        case shutdown
    }

    let redis: RedisTicketStore
    private let client: RedisClient
    let escrow: RedisEscrow
    private let files: FallbackFiles
    /// This fallback directory's token, which holds the instance id's claim in Redis.
    private let directoryToken: String
    /// This process's id in the claim: a copy of the directory run beside this one has the same token.
    private let process = String(UInt64.random(in: .min ... .max), radix: 36)
    private let journal: FallbackJournal
    let configuration: FallbackConfiguration
    let logger: Logger
    private let metrics: FallbackMetrics
    private let state: Mutex<State>
    private let jobs: AsyncStream<Job>
    private let jobInput: AsyncStream<Job>.Continuation
    private let replacedSalesHandler = Mutex<(@Sendable ([Purchase]) async -> Void)?>(nil)
    private let escrowReturnWaiters: EscrowReturnWaiters

    /// Opens the store: reads the escrow mirror and the journal from `files`. With unsettled sales in the
    /// journal it starts in fallback mode and settles them as soon as Redis answers.
    /// - Throws: ``FallbackStorageError`` or a decoding error when the files cannot be read.
    public static func open(
        redis: RedisTicketStore,
        client: RedisClient,
        files: FallbackFiles,
        instance: InstanceID,
        configuration: FallbackConfiguration,
        logger: Logger
    ) async throws -> FallbackTicketStore {
        _ = TicketScripts.fallbackScripts
        let mirror = try await files.loadEscrow()
        let journal = try await files.loadJournal()
        let store = FallbackTicketStore(
            redis: redis,
            client: client,
            escrow: RedisEscrow(client: client, instance: instance),
            files: files,
            directoryToken: try await files.directoryToken(),
            local: LocalEscrow(mirror: mirror, journal: journal),
            configuration: configuration,
            logger: logger
        )
        if !journal.isEmpty {
            logger.warning(
                "the journal holds fallback sales not yet recorded in Redis; selling from escrow until they are settled",
                metadata: ["fallback.journal_backlog": "\(journal.count)", "fallback.instance": "\(instance)"]
            )
        }
        return store
    }

    private init(
        redis: RedisTicketStore,
        client: RedisClient,
        escrow: RedisEscrow,
        files: FallbackFiles,
        directoryToken: String,
        local: LocalEscrow,
        configuration: FallbackConfiguration,
        logger: Logger
    ) {
        self.redis = redis
        self.client = client
        self.escrow = escrow
        self.files = files
        self.directoryToken = directoryToken
        self.journal = FallbackJournal(files: files)
        self.configuration = configuration
        self.logger = logger
        let metrics = FallbackMetrics()
        self.metrics = metrics
        self.escrowReturnWaiters = EscrowReturnWaiters { [metrics] in metrics.recordWaitingBuyers($0) }
        let now = Self.nowMillis()
        var state = State(escrow: local, mode: local.backlog > 0 ? .fallback : .redis, since: now)
        if state.mode == .fallback { state.lastFallbackAt = now }
        self.state = Mutex(state)
        let (jobs, jobInput) = AsyncStream.makeStream(of: Job.self)
        self.jobs = jobs
        self.jobInput = jobInput
    }

    /// Calls `handler` with the fallback sales that settled over Redis's own sale of the same purchase id (whose
    /// ticket went back to the pool), so that whatever was derived from Redis's sale (a PDF ticket) is made again.
    public func onReplacedSales(_ handler: @escaping @Sendable ([Purchase]) async -> Void) {
        self.replacedSalesHandler.withLock { $0 = handler }
    }

    // MARK: Status

    /// Where sales come from now, the escrow and the journal backlog.
    public var status: FallbackStatus {
        self.state.withLock { state in
            FallbackStatus(
                mode: state.mode,
                since: state.since,
                instanceID: self.escrow.instance,
                escrow: Dictionary(uniqueKeysWithValues: state.escrow.available.map { ($0.key.rawValue, $0.value) }),
                journalBacklog: state.escrow.backlog,
                fallbackSales: state.fallbackSales,
                settleConflicts: state.settleConflicts
            )
        }
    }

    /// The fallback sale of purchase `id` that Redis has not recorded yet, if there is one.
    func unsettledSale(_ id: PurchaseID) -> Purchase? {
        self.state.withLock { $0.escrow.unsettledSale(id) }
    }

    // MARK: Purchases

    public func purchase(_ request: PurchaseRequest) async throws(PurchaseError) -> PurchaseResult {
        do {
            return try await self.purchaseFromRedisOrEscrow(request)
        } catch let error where error.code == .escrowHeld || (error.code == .soldOut && self.state.withLock({ $0.mayRefill(request.eventID) })) {
            return try await self.purchaseOnceEscrowsReturn(request, refused: error)
        }
    }

    /// Sells through Redis, or from escrow when Redis cannot answer; an empty pool's answer is the caller's.
    private func purchaseFromRedisOrEscrow(_ request: PurchaseRequest) async throws(PurchaseError) -> PurchaseResult {
        // A purchase id answered from escrow keeps that answer until it is settled, whatever Redis would say.
        if let earlier = self.unsettledSale(request.purchaseID) { return PurchaseResult(purchase: earlier, isReplay: true) }
        if self.state.withLock({ $0.mode }) == .fallback {
            do {
                return try await self.sellFromEscrow(request)
            } catch let refusal where refusal.nothingSent {
                // The escrow cannot sell this one (none of the event, a per-user limit, switching back) and nothing
                // was journaled for it: Redis may answer after all, and fails fast when it cannot.
                do {
                    return try await self.redis.purchase(request)
                } catch let error where error.nothingSent && error.code == .unavailable && refusal.message != Self.switchingBack.message {
                    // Neither sold: the escrow's refusal says why (none of the event left, say), where Redis's only
                    // repeated that it is unreachable. Not "switching back", which Redis's error explains better
                    // (an event on a shard still down, while the others' sales settle).
                    throw refusal
                }
            }
        }
        do {
            return try await self.redis.purchase(request)
        } catch let error where error.nothingSent && self.client.health != .up {
            // Not sent with every connection up is back-pressure (too many commands in flight), not a failing
            // Redis: that purchase answers 503 and sales stay with Redis.
            self.enterFallback(because: error.message)
            return try await self.sellFromEscrow(request)
        } catch let refused where refused.writeRefusal != nil {
            // Redis answered but takes no writes, so it sold nothing; the escrow's tickets are this instance's own.
            // Sales stay with Redis, which every purchase asks first.
            self.noteWritesRefused(refused.writeRefusal ?? refused.message)
            do {
                return try await self.sellFromEscrow(request)
            } catch {
                throw refused
            }
        } catch let unknown where unknown.outcomeUnknown && request.purchaseIDIsPrivate && self.redis.stripeCounts.cached(request.eventID) ?? 1 == 1 {
            // Redis may have sold under this id, but no one else can ask for it (a random id the buyer has not
            // seen): the answer from escrow is the only one that reaches anyone, and settling keeps it over
            // Redis's (settle.lua gives Redis's ticket back). With an Idempotency-Key a retry could hear Redis's
            // answer elsewhere, so that purchase keeps its 503; so does a purchase of a striped event, which Redis
            // may have sold on another stripe than the escrowed ticket's, where settling would not see it.
            do {
                return try await self.sellFromEscrow(request)
            } catch {
                // Nothing came from escrow; what Redis did is still unknown.
                throw unknown
            }
        }
    }

    /// Asks Redis again while the escrows holding the last tickets of the request's event go back to the pool, so
    /// that no buyer hears sold out while a ticket is left: this instance's escrow at once (the job runs after any
    /// give-back under way), the others' at their next refresh (each gives its own back once the pool runs low).
    /// The buyers of one event wait together (``EscrowReturnWaiters``): one asks Redis every 50 ms, the others ask
    /// again when its answer changes. After three refresh intervals the answer stands: a ticket still held keeps
    /// the event from being sold out, and the buyer hears ``PurchaseError/Code-swift.struct/escrowHeld`` (503, try
    /// again).
    private func purchaseOnceEscrowsReturn(_ request: PurchaseRequest, refused: PurchaseError) async throws(PurchaseError) -> PurchaseResult {
        if self.state.withLock({ $0.mayRefill(request.eventID) }) {
            await withCheckedContinuation { continuation in
                if case .terminated = self.jobInput.yield(.giveBack(request.eventID, continuation)) { continuation.resume() }
            }
        }
        let deadline = ContinuousClock.now + self.configuration.refreshInterval * 3
        var refusal = refused
        var turn = EscrowReturnWaiters.Turn.retry
        while true {
            switch turn {
            case .lead:
                return try await self.leadEscrowReturnWait(request, until: deadline)
            case .timeUp:
                throw refusal
            case .retry:
                do {
                    return try await self.redis.purchase(request)
                } catch let error where error.code == .escrowHeld {
                    refusal = error
                }
                guard ContinuousClock.now < deadline, !Task.isCancelled else { throw refusal }
                turn = await self.escrowReturnWaiters.turn(for: request.eventID, deadline: deadline)
            }
        }
    }

    /// Asks Redis every 50 ms for the buyers of the request's event who wait for escrows to return, until the
    /// answer is no longer "held in escrow" or the buyer's time is up, and hands the wait on.
    private func leadEscrowReturnWait(
        _ request: PurchaseRequest,
        until deadline: ContinuousClock.Instant
    ) async throws(PurchaseError) -> PurchaseResult {
        var answerChanged = false
        defer { self.escrowReturnWaiters.leave(request.eventID, now: .now, answerChanged: answerChanged) }
        while true {
            try? await Task.sleep(for: Self.escrowReturnPoll)
            do {
                let result = try await self.redis.purchase(request)
                answerChanged = true
                return result
            } catch let error where error.code == .escrowHeld {
                let now = ContinuousClock.now
                guard now < deadline, !Task.isCancelled else { throw error }
                self.escrowReturnWaiters.expire(request.eventID, now: now)
            } catch {
                answerChanged = true
                throw error
            }
        }
    }

    /// How often the leader of the buyers waiting for other instances' escrows asks Redis again.
    private static let escrowReturnPoll = Duration.milliseconds(50)

    /// Sells from this instance's escrow and answers once the sale is in the journal on disk.
    ///
    /// Traced as a span `sell from escrow` with ``TraceAttribute/fallback`` `true`, a child of the caller's span
    /// when that span records, covering the journal's `fsync`.
    private func sellFromEscrow(_ request: PurchaseRequest) async throws(PurchaseError) -> PurchaseResult {
        guard let parent = InstrumentationContext.recordingParent else { return try await self.sellFromEscrowUntraced(request) }
        let span = InstrumentationSystem.tracer.startSpan("sell from escrow", context: parent, ofKind: .internal)
        defer { span.end() }
        return try await RedisTicketStore.recordingOutcome(on: span) { () async throws(PurchaseError) in
            try await self.sellFromEscrowUntraced(request)
        } describe: { attributes in
            attributes.set(TraceAttribute.eventID, value: .string(request.eventID.rawValue))
            attributes.set(TraceAttribute.purchaseID, value: .string(request.purchaseID.rawValue))
            attributes.set(TraceAttribute.fallback, value: .bool(true))
        }
    }

    private func sellFromEscrowUntraced(_ request: PurchaseRequest) async throws(PurchaseError) -> PurchaseResult {
        let outcome = self.state.withLock { state -> LocalEscrow.Sale in
            if state.claimedElsewhere, state.escrow.unsettledSale(request.purchaseID) == nil { return .refused(Self.idHeldElsewhere) }
            guard state.draining else { return state.escrow.sell(request) }
            if let earlier = state.escrow.unsettledSale(request.purchaseID) { return .replay(earlier) }
            return .refused(Self.switchingBack)
        }
        switch outcome {
        case .refused(let error):
            throw error
        case .replay(let sale):
            return PurchaseResult(purchase: sale, isReplay: true)
        case .sold(let sale):
            do {
                try await self.journal.append(sale)
            } catch {
                self.state.withLock { $0.escrow.abandon(sale) }
                self.logger.error("cannot journal a fallback sale; it is refused", metadata: ["error": "\(error)"])
                throw PurchaseError(.unavailable, "Redis is unreachable and the local journal cannot be written; nothing was sold")
            }
            let (escrowLeft, backlog) = self.state.withLock { state in
                state.escrow.journaled(sale)
                state.fallbackSales += 1
                return (state.escrow.available[sale.eventID] ?? 0, state.escrow.backlog)
            }
            self.metrics.recordSale(of: sale.eventID, escrowLeft: escrowLeft, journalBacklog: backlog)
            return PurchaseResult(purchase: sale, isReplay: false)
        }
    }

    private static let idHeldElsewhere = PurchaseError(
        .unavailable,
        "another instance holds this instance's INSTANCE_ID, so it sells nothing from escrow; nothing was sold",
        nothingSent: true
    )

    private static let switchingBack = PurchaseError(
        .unavailable,
        "switching back to Redis after settling this instance's fallback sales; nothing was sold, try again",
        nothingSent: true
    )

    /// Records that Redis takes no writes, warning once until it takes them again.
    ///
    /// The start of the refusal counts as a stay in fallback in this instance's reports (``InstanceReport``), so
    /// that an escrow release of an instance silent since before it is refused: that instance may have sold from
    /// escrow meanwhile, and Redis recorded nothing of it.
    private func noteWritesRefused(_ reason: String) {
        let first = self.state.withLock { state in
            defer { state.writesRefused = reason }
            if state.writesRefused == nil { state.lastFallbackAt = Self.nowMillis() }
            return state.writesRefused == nil
        }
        guard first else { return }
        self.updateMetrics()
        self.logger.warning(
            "Redis answers but takes no writes: purchases it refuses sell from this instance's escrow, settled once it takes writes",
            metadata: ["fallback.reason": "\(reason)", "fallback.instance": "\(self.escrow.instance)", "fallback.escrow": "\(self.status.escrow)"]
        )
    }

    /// Records that Redis took this instance's writes (a whole refresh went through).
    private func noteWritesAccepted() {
        let wasRefused = self.state.withLock { state in
            defer { state.writesRefused = nil }
            return state.writesRefused != nil
        }
        guard wasRefused else { return }
        self.updateMetrics()
        self.logger.warning("Redis takes writes again: purchases sell through Redis")
    }

    /// Sets the fallback's gauges from its status now.
    private func updateMetrics() {
        self.metrics.update(self.status, writesRefused: self.state.withLock { $0.writesRefused != nil })
    }

    private func enterFallback(because reason: String) {
        let switched = self.state.withLock { state in
            guard state.mode == .redis else { return false }
            state.mode = .fallback
            state.since = Self.nowMillis()
            state.lastFallbackAt = state.since
            return true
        }
        guard switched else { return }
        self.updateMetrics()
        self.logger.warning(
            """
            switching to FALLBACK: Redis cannot be reached, selling from this instance's escrow; until they are settled \
            in Redis, these sales exist only in the local journal (\(self.files.journalPath)): losing this disk before \
            then loses them
            """,
            metadata: ["fallback.reason": "\(reason)", "fallback.instance": "\(self.escrow.instance)", "fallback.escrow": "\(self.status.escrow)"]
        )
    }

    /// Switches to fallback on Redis's health or an unanswered probe, unless this service is stopping (cancelled, or
    /// its shutdown begun): the Redis client then goes down by the same stop, and a server that failed to start
    /// stops this way too.
    private func enterFallbackUnlessStopping(because reason: String) {
        guard !Task.isCancelled, !self.state.withLock({ $0.stopping }) else { return }
        self.enterFallback(because: reason)
    }

    // MARK: Events, health, audit

    public func event(_ id: EventID) async throws(TicketStoreError) -> EventSnapshot? { try await self.redis.event(id) }

    public func events() async throws(TicketStoreError) -> [EventSnapshot] { try await self.redis.events() }

    public func readableEvents() async throws(TicketStoreError) -> EventListing { try await self.redis.readableEvents() }

    /// Redis's health with the fallback's status; while sales go on from escrow, or can, the store is `degraded`,
    /// whether Redis is down (not `down` then) or answers again and the journal has yet to settle. An escrow with
    /// no ticket left sells nothing: the store is then `down` while Redis is (a server that never reached Redis,
    /// say, is in fallback with nothing to sell). A Redis that answers but takes no writes sells nothing either: `degraded` while the escrow
    /// sells in its place, `down` once that is empty. Such a Redis is known from a purchase it refused, or from the
    /// probe's script that may write (``RedisTicketStore/probe()``) when no purchase has come since.
    public func health() async -> StoreHealth {
        var (health, probedRefusal) = await self.redis.probe()
        let status = self.status
        health.fallback = status
        let escrowSells = status.escrow.values.contains(where: { $0 > 0 })
        let (noted, claimedElsewhere) = self.state.withLock { ($0.writesRefused, $0.claimedElsewhere) }
        let refusal = noted ?? probedRefusal
        if status.mode == .fallback || (health.status == "down" && refusal == nil), escrowSells {
            // Also before the probe switches (a Redis that just began to hang: /health said down, full escrow and all),
            // and once Redis answers again, until the journal has settled and sales go back to it (it said up).
            health.status = "degraded"
            health.detail =
                "selling from this instance's escrow: \(health.detail ?? "Redis answers; sales go back to it once this instance's fallback sales are settled")"
        } else if status.mode == .fallback, health.status != "down", refusal == nil {
            // The escrow is empty and purchases go through Redis, but sales made from it are not all settled yet.
            health.status = "degraded"
            health.detail = "Redis answers; this instance's fallback sales are not all settled yet (\(status.journalBacklog) left)"
        } else if let refusal {
            // MISCONF refuses PING too: the probe says down while the escrow sells.
            health.status = escrowSells ? "degraded" : "down"
            health.detail =
                escrowSells
                ? "Redis takes no writes, selling from this instance's escrow: \(refusal)"
                : "Redis takes no writes and this instance's escrow is empty: \(refusal)"
        } else if claimedElsewhere, health.status == "up" {
            health.status = "degraded"
            health.detail = "another instance holds this INSTANCE_ID: this one sells through Redis only"
        }
        return health
    }

    public func audit() async throws(TicketStoreError) -> AuditReport { try await self.redis.audit() }

    // MARK: Service

    /// Keeps the escrow topped up, follows Redis's health, settles the journal; on graceful shutdown settles and
    /// gives the escrow back.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    if await !self.waitForFirstConnection() {
                        self.enterFallbackUnlessStopping(because: "Redis could not be reached within \(self.configuration.probeTimeout) of starting")
                    }
                    for await health in self.client.healthUpdates() {
                        if health == .down {
                            self.enterFallbackUnlessStopping(because: "the Redis client reports Redis down")
                        } else {
                            self.requestRefresh()
                        }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        self.requestRefresh()
                        try? await Task.sleep(for: self.configuration.refreshInterval)
                    }
                }
                group.addTask {
                    _ = await self.waitForFirstConnection()
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.configuration.probeInterval)
                        await self.probe()
                    }
                }
                for await job in self.jobs {
                    defer { self.updateMetrics() }
                    switch job {
                    case .refresh:
                        self.state.withLock { $0.refreshQueued = false }
                        if await self.refresh() { self.noteWritesAccepted() }
                    case .seed(let continuation):
                        let refreshed = await self.refresh()
                        if refreshed { self.noteWritesAccepted() }
                        continuation.resume(returning: refreshed)
                    case .giveBack(let event, let continuation):
                        await self.giveBack(event, redisAnswers: true)
                        continuation.resume()
                    case .shutdown:
                        await self.stop()
                        self.jobInput.finish()
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.jobInput.yield(.shutdown)
        }
    }

    /// The graceful stop: settles, gives back the escrow of every event without unsettled sales, reports the stop
    /// and gives up the instance id's claim. What cannot be settled or given back (Redis down, or the shard of one
    /// event) stays for the next start on this directory, which a warning says; so does the claim, which keeps
    /// another directory from taking the id and its escrow over in the meantime. Black-box testing found both
    /// left behind in silence: a stop during an outage logged what a clean stop logs, and one during a shard's
    /// outage gave back no escrow at all, even of the events on healthy shards.
    private func stop() async {
        self.state.withLock { $0.stopping = true }
        // Asked while Redis does not answer at all, a give-back would drop the copy of the escrow, and a start during
        // the outage could not sell from it. One shard down answers, so the events on the others go back.
        let asked = await self.settleAndSwitchBack() != .unreachable
        var kept: [EventID] = []
        for event in self.state.withLock({ $0.escrow.events }) {
            let givenBack = asked ? await self.giveBack(event, redisAnswers: true) : false
            if !givenBack { kept.append(event) }
        }
        await self.report(stopped: true)
        let unsettled = self.state.withLock { $0.escrow.backlog }
        guard unsettled == 0, kept.isEmpty else {
            self.logger.warning(
                """
                stopped with sales Redis has not recorded, or escrow it has not got back: start this instance again on the same \
                FALLBACK_DIR once Redis answers, and it settles them and gives the escrow back; deleting that directory loses those sales
                """,
                metadata: [
                    "fallback.journal_backlog": "\(unsettled)",
                    "fallback.escrow_events": "\(kept.map(\.rawValue).sorted().joined(separator: ","))",
                    "fallback.instance": "\(self.status.instanceID)",
                    "fallback_dir": "\(self.files.directory)",
                ]
            )
            return
        }
        try? await self.escrow.releaseClaim(directory: self.directoryToken, process: self.process)
    }

    /// Waits for the client's first connection, for at most the probe timeout; returns whether it came. Until then
    /// the client reports Redis down: a start is not an outage, and only a Redis that stays out of reach that long
    /// is one.
    private func waitForFirstConnection() async -> Bool {
        await self.client.waitUntilConnected(timeout: self.configuration.probeTimeout)
    }

    /// Takes no escrow until ``resumeEscrowTopUps()``; settling and giving back go on. For a server until it listens:
    /// one that cannot start (its port taken) stops this service by cancellation, without the graceful shutdown
    /// that gives its escrow back, and an escrow taken meanwhile stayed in Redis under an instance that never served
    /// (black-box testing found 100 tickets so stranded in 2 of 8 failed starts).
    public func pauseEscrowTopUps() {
        self.state.withLock { $0.topUpsPaused = true }
    }

    /// Takes escrow again, starting now.
    public func resumeEscrowTopUps() {
        self.state.withLock { $0.topUpsPaused = false }
        self.requestRefresh()
    }

    /// Runs a refresh now, after the jobs queued before it. Returns whether it reached Redis throughout.
    func refreshNow() async -> Bool {
        await withCheckedContinuation { continuation in
            if case .terminated = self.jobInput.yield(.seed(continuation)) { continuation.resume(returning: false) }
        }
    }

    private func requestRefresh() {
        let queue = self.state.withLock { state in
            guard !state.refreshQueued else { return false }
            state.refreshQueued = true
            return true
        }
        if queue { self.jobInput.yield(.refresh) }
    }

    /// Settles the journal, switches back to Redis once it is empty, then tops the escrow up or gives it back, and
    /// reports to Redis. Returns whether all of that reached Redis.
    @discardableResult
    private func refresh() async -> Bool {
        guard !self.state.withLock({ $0.stopping }) else { return false }
        // Redis may answer with sales of some events left unsettled (their shard down): the others' escrows are
        // still topped up. Black-box testing found every top-up stopped by one shard's outage.
        let settling = await self.settleAndSwitchBack()
        guard settling != .unreachable else {
            await self.report(stopped: false)
            return false
        }
        // Until the server listens (top-ups paused) nothing sells and no escrow is taken, and its start claims the
        // id; from then on every refresh renews the claim before it tops up.
        if !self.state.withLock({ $0.topUpsPaused }) {
            guard await self.renewInstanceClaim() else { return false }
        }
        var failures: [EventID: any Error] = [:]
        var listingFailure: (any Error)?
        do {
            var changed = false
            let events: [EventID]
            do {
                events = try await self.redis.eventIDs()
            } catch {
                // The events' index may be on a shard that is down: the escrows this instance holds are topped up
                // all the same, and none is dropped as gone.
                listingFailure = error
                events = self.state.withLock { $0.escrow.events }.sorted()
            }
            var described = Set<EventID>(listingFailure == nil ? [] : events)
            for event in events {
                do {
                    if try await self.topUpOrGiveBack(event, described: &described) { changed = true }
                } catch let error as RedisError where error.serverErrorCode.map(RedisTicketStore.writeRefusals.contains) == true {
                    throw error
                } catch {
                    // One event's shard down keeps the others' escrows topped up; its copy is kept, not dropped.
                    described.insert(event)
                    failures[event] = error
                }
            }
            if self.dropEscrowCopies(ofEventsOtherThan: described) { changed = true }
            if changed { try await self.saveMirror() }
        } catch let error as RedisError where error.serverErrorCode.map(RedisTicketStore.writeRefusals.contains) == true {
            self.noteWritesRefused(error.message)
            return false
        } catch {
            self.logger.notice("cannot top up the escrow now", metadata: ["error": "\(error)"])
            return false
        }
        if let error = listingFailure ?? failures.first?.value {
            self.logger.notice(
                "cannot top up the escrow of some events now",
                metadata: ["error": "\(error)", "ticket.event_ids": "\(failures.keys.map(\.rawValue).sorted().joined(separator: ","))"]
            )
        }
        let reported = await self.report(stopped: false)
        return reported && settling == .redis && failures.isEmpty && listingFailure == nil
    }

    /// Tops one event's escrow up, or gives it back (a reset recalls it, or its pool runs low), and inserts the
    /// event in `described` when Redis describes it. Returns whether the copy of its escrow changed.
    private func topUpOrGiveBack(_ event: EventID, described: inout Set<EventID>) async throws -> Bool {
        guard let terms = try await self.escrow.terms(event: event) else { return false }
        described.insert(event)
        let size = self.configuration.escrowSize(capacity: terms.capacity)
        if terms.recalled {
            // A reset waits for Redis's escrow list of this instance to go, even one its copy has forgotten
            // (a give-back that failed halfway).
            await self.giveBack(event, evenWithoutCopy: true)
            return false
        }
        if terms.pool < self.configuration.giveBackBelow(escrowSize: size) {
            // Buyers wait for every escrow of an empty pool: give back even one that the copy has lost.
            await self.giveBack(event, evenWithoutCopy: true)
            return false
        }
        guard !self.state.withLock({ $0.topUpsPaused }) else { return false }
        let started = DefaultTracerClock.now
        guard let block = try await self.escrow.take(event: event, size: size, reserve: self.configuration.reserve(escrowSize: size)) else {
            return false
        }
        let (before, after, replaced) = self.state.withLock { state in
            let before = state.escrow.available[event]
            let replaced = state.escrow.replace(block)
            return (before, state.escrow.available[event], replaced)
        }
        if before != after { Self.traceTopUp(of: event, by: (after ?? 0) - (before ?? 0), escrow: after ?? 0, since: started) }
        // The mirror follows any change of the tickets, not only of their count: black-box testing found it
        // left behind after a forced release and the top-up that followed, naming a ticket back in the pool,
        // which a restart while Redis is down would have sold again.
        return replaced
    }

    /// Drops the copy of every escrow whose event Redis no longer describes (deleted, or lost with Redis's data), so
    /// that an outage cannot sell its tickets: black-box testing sold three tickets of an event deleted with
    /// `FLUSHALL` from the copy, and settled them into the event seeded next. Its unsettled sales stay in the
    /// journal. Returns whether it dropped any.
    private func dropEscrowCopies(ofEventsOtherThan described: Set<EventID>) -> Bool {
        let dropped: [(EventID, Int)] = self.state.withLock { state in
            let gone = state.escrow.available.filter { !described.contains($0.key) && $0.value > 0 }
            for event in gone.keys { state.escrow.remove(event) }
            return gone.map { ($0.key, $0.value) }
        }
        for (event, tickets) in dropped {
            self.logger.notice(
                "event is gone from Redis; this instance's copy of its escrow is dropped",
                metadata: ["event_id": "\(event)", "fallback.escrow_tickets": "\(tickets)"]
            )
        }
        return !dropped.isEmpty
    }

    /// Claims this instance id in Redis for this fallback directory, or renews the claim. Two instances under one
    /// `INSTANCE_ID` would share one escrow list, each with its own copy of it, and could sell a ticket twice: a
    /// server claims the id before it listens and stops when another directory holds it, and every refresh renews
    /// the claim. It stands until a graceful stop gives it up or an escrow release forgets it, since a directory
    /// gone otherwise may hold escrow, and sales only its journal knows; only the claim of a directory that never
    /// took escrow (a server that failed to start) lapses, after ``FallbackConfiguration/goneAfter``.
    ///
    /// For a server about to listen: when another process holds the claim for this directory, as this directory's
    /// previous process does just after a crash, it waits for that claim to go unrenewed long enough (three refresh
    /// intervals, at least a second) and asks once more. A copy of the directory run beside this one keeps it.
    public func claimInstanceID() async -> InstanceClaim {
        let holding = self.state.withLock { $0.holdsEscrowOrSales }
        let claim = await self.claimInstanceID(holding: holding)
        guard case .heldByAnotherProcess(let age) = claim else { return claim }
        try? await Task.sleep(for: self.processLapse - age + .milliseconds(100))
        return await self.claimInstanceID(holding: holding)
    }

    private func claimInstanceID(holding: Bool) async -> InstanceClaim {
        do {
            return try await self.escrow.claim(
                directory: self.directoryToken,
                process: self.process,
                holding: holding,
                idleLapse: self.configuration.goneAfter,
                processLapse: self.processLapse
            )
        } catch {
            return .unknown(error)
        }
    }

    /// How long another process's claim on this directory must go unrenewed before this process takes it over.
    private var processLapse: Duration { max(self.configuration.refreshInterval * 3, .seconds(1)) }

    /// Renews the claim on the instance id; returns whether this directory holds it (or Redis could not say).
    ///
    /// When another directory holds it (two instances started under one id while Redis was unreachable, say), or
    /// another process on a copy of this directory, this one takes and sells no escrow: its copy of the escrow list
    /// is the other's, so it drops it, and it logs an error, once until it holds the id.
    private func renewInstanceClaim() async -> Bool {
        let age: Duration
        switch await self.claimInstanceID(holding: true) {
        case .unknown: return true
        case .claimed:
            self.state.withLock { $0.claimedElsewhere = false }
            return true
        case .heldElsewhere(let renewedAgo), .heldByAnotherProcess(let renewedAgo): age = renewedAgo
        }
        let (first, dropped) = self.state.withLock { state in
            defer { state.claimedElsewhere = true }
            let events = state.escrow.events
            for event in events { state.escrow.remove(event) }
            return (!state.claimedElsewhere, !events.isEmpty)
        }
        if dropped { try? await self.saveMirror() }
        if first {
            self.logger.error(
                """
                another instance holds this INSTANCE_ID, with another fallback directory or a copy of this one: this one \
                sells no escrow; give each instance its own INSTANCE_ID and its own FALLBACK_DIR
                """,
                metadata: ["fallback.instance": "\(self.escrow.instance)", "fallback.claim_renewed_ago": "\(age)"]
            )
        }
        return false
    }

    /// Tells Redis this instance's mode and journal backlog (see ``InstanceReport``). Returns whether Redis has the
    /// report.
    ///
    /// While another directory holds the id, the report under it is that instance's, and none is written from
    /// here: a `stopped` from here, say, would let `POST /admin/escrow/release` give away the escrow it sells from.
    @discardableResult
    private func report(stopped: Bool) async -> Bool {
        guard !self.state.withLock({ $0.claimedElsewhere }) else { return false }
        let report = self.state.withLock { state in
            InstanceReport(
                mode: stopped ? "stopped" : state.mode.rawValue,
                journalBacklog: state.escrow.backlog,
                reportedAt: Self.nowMillis(),
                lastFallbackAt: state.lastFallbackAt
            )
        }
        do {
            try await self.escrow.report(report)
            return true
        } catch {
            return false
        }
    }

    /// While sales go through Redis, a probe that goes unanswered for the probe timeout means Redis hangs (or the
    /// network does), or holds writes: sales switch to escrow at once, without waiting for the client to give up
    /// its connections. The probe is `writable.lua`, a script that may write and writes nothing, so that Redis holds
    /// it as it holds a purchase: black-box testing found no purchase answered for 4 s of a `CLIENT PAUSE WRITE`
    /// (what a `FAILOVER` does while the replica catches up), which `PING` passes.
    private func probe() async {
        guard self.state.withLock({ $0.mode }) == .redis else { return }
        do {
            try await self.writableProbe(timeout: self.configuration.probeTimeout)
        } catch let error where error.kind == .outcomeUnknown || (error.kind == .notSent && self.client.health != .up) {
            // A probe cancelled by this service's own stop (a server that failed to start, say) is no outage.
            self.enterFallbackUnlessStopping(
                because:
                    "Redis did not run a script that may write within \(self.configuration.probeTimeout) (it hangs or holds writes): \(error.message)"
            )
        } catch {
            // Redis answered, with an error (a refusal of writes, which purchases meet and report): it is there. Or
            // the probe found no room on connections that are all up: back-pressure, which the purchases' own
            // deadlines deal with.
        }
    }

    /// Whether sales go through Redis, or Redis answers the probe's script within 500 ms (a refusal is an answer):
    /// a hung Redis can leave an idle connection looking alive, and only a reply proves it answers again. The reply
    /// of the probe's script, so that a Redis still holding writes does not take sales back, only to have the probe
    /// find it holding them again.
    private func redisAnswers() async -> Bool {
        guard self.state.withLock({ $0.mode }) == .fallback else { return true }
        do {
            try await self.writableProbe(timeout: .milliseconds(500))
            return true
        } catch {
            return error.kind == .serverError
        }
    }

    /// Runs `writable.lua` once, within `timeout`.
    private func writableProbe(timeout: Duration) async throws(RedisError) {
        try await self.redis.runWritableScript(timeout: timeout)
    }

    /// Where sales stand after ``settleAndSwitchBack()``.
    private enum Settling {
        /// Sales go through Redis.
        case redis
        /// Redis answers, but sales of some events are not settled yet (their shard down, say), so they stay on
        /// escrow.
        case unsettled
        /// Redis does not answer.
        case unreachable
    }

    /// Settles the journal if Redis answers, and sells through Redis again once nothing is left unsettled.
    @discardableResult
    private func settleAndSwitchBack() async -> Settling {
        // A refusal of writes is an answer, for the settling and the purchases to meet.
        guard self.client.health != .down, await self.redisAnswers() else { return .unreachable }
        let draining = self.state.withLock { state in
            state.draining = state.mode == .fallback
            return state.draining
        }
        // A sale made just before draining began is on disk within one group commit: settle until it is in too.
        var settled = await self.settle()
        var rounds = 0
        while draining, settled, self.state.withLock({ $0.escrow.backlog }) > 0, rounds < 100 {
            try? await Task.sleep(for: .milliseconds(5))
            settled = await self.settle()
            rounds += 1
        }
        let (mode, switched) = self.state.withLock { state in
            state.draining = false
            guard settled, state.mode == .fallback, state.escrow.backlog == 0 else { return (state.mode, false) }
            state.mode = .redis
            state.since = Self.nowMillis()
            return (state.mode, true)
        }
        if switched {
            self.logger.warning("switching back to REDIS: the journal is settled", metadata: ["fallback.instance": "\(self.escrow.instance)"])
        }
        return mode == .redis ? .redis : .unsettled
    }

    /// Records every journaled sale in Redis, then shrinks the mirror and the journal. Returns whether the
    /// journal is settled (or was empty).
    ///
    /// Traced as a span `settle fallback sales` (a trace of its own), over one `EVALSHA settle.lua` span per chunk.
    @discardableResult
    private func settle() async -> Bool {
        let sales = self.state.withLock { $0.escrow.durableSales }
        guard !sales.isEmpty else { return true }
        return await withSpan("settle fallback sales", context: .topLevel, ofKind: .internal) { span in
            await self.settle(sales, span: span)
        }
    }

    private func settle(_ sales: [Purchase], span: any Span) async -> Bool {
        span.attributes[TraceAttribute.settledSales] = sales.count
        let clock = ContinuousClock()
        let start = clock.now
        var conflicts = 0
        var settled: [Purchase] = []
        var replaced: [Purchase] = []
        var dropped: [Purchase] = []
        var failure: (any Error)?
        for (event, ofEvent) in Dictionary(grouping: sales, by: \.eventID) {
            var index = 0
            do {
                while index < ofEvent.count {
                    let chunk = Array(ofEvent[index..<min(index + 500, ofEvent.count)])
                    let outcomes = try await self.escrow.settle(event: event, sales: chunk)
                    conflicts += outcomes.filter(\.isConflict).count
                    replaced += zip(chunk, outcomes).filter { $0.1 == .replacedRedisSale }.map(\.0)
                    dropped += zip(chunk, outcomes).filter { $0.1 == .eventGone }.map(\.0)
                    settled += chunk
                    index += chunk.count
                }
            } catch {
                // The other events settle all the same: one event's shard down kept every sale in the journal.
                failure = failure ?? error
            }
        }
        if !dropped.isEmpty {
            self.logger.error(
                """
                fallback sales dropped: Redis no longer describes their event (its data lost, or the event deleted), \
                so no ledger records these buyers' tickets
                """,
                metadata: [
                    "fallback.dropped": "\(dropped.count)",
                    "fallback.dropped_sales": "\(dropped.prefix(50).map { "\($0.eventID)/\($0.ticketID) \($0.purchaseID)" })",
                ]
            )
        }
        if !settled.isEmpty {
            self.state.withLock { state in
                state.escrow.settled(settled)
                state.settleConflicts += conflicts
            }
            self.metrics.recordConflicts(conflicts)
            if !replaced.isEmpty, let handler = self.replacedSalesHandler.withLock({ $0 }) { await handler(replaced) }
            do {
                // The mirror first: a crash between the two leaves sales in the journal that settle again harmlessly.
                try await self.saveMirror()
                try await self.journal.replace { self.state.withLock { $0.escrow.unsettledSales } }
            } catch {
                failure = failure ?? error
            }
            span.attributes[TraceAttribute.settleConflicts] = conflicts
            // Sales settled after an outage are worth a warning; those settled while sales stay with Redis (a
            // refusal of writes, an unknown outcome) come every refresh and are not.
            self.logger.log(
                level: self.state.withLock { $0.mode == .fallback } ? .warning : .notice,
                "settled fallback sales in Redis",
                metadata: [
                    "fallback.settled": "\(settled.count - dropped.count)", "fallback.dropped": "\(dropped.count)",
                    "fallback.settle_conflicts": "\(conflicts)", "fallback.settle_duration": "\(clock.now - start)",
                ]
            )
        }
        if let failure {
            span.recordError(failure)
            span.setStatus(SpanStatus(code: .error, message: "\(failure)"))
            // Warned once at the start of a refusal of writes (see noteWritesRefused), not at every refresh.
            let refused = self.state.withLock { $0.writesRefused != nil }
            self.logger.log(
                level: refused ? .notice : .warning,
                "cannot settle the journal yet",
                metadata: ["error": "\(failure)", "fallback.journal_backlog": "\(self.state.withLock { $0.escrow.backlog })"]
            )
            return false
        }
        return self.state.withLock { $0.escrow.backlog == 0 }
    }

    /// Gives an event's escrow back to the pool, if no sale from it awaits settling, and sales come from Redis or
    /// `redisAnswers` (a buyer's purchase was just answered: an instance switched to fallback by a slow `PING`
    /// under load must not keep the last tickets); only if this instance's copy holds some of it, unless
    /// `evenWithoutCopy`.
    ///
    /// Without a copy, Redis's escrow list of this instance can still hold tickets: a give-back that failed halfway,
    /// or a top-up whose answer was lost. That list goes back quietly: there is no copy to save or sale to trace.
    /// - Returns: Whether Redis took the escrow back; `false` when it was not asked (unsettled sales, fallback) or
    ///   could not answer.
    @discardableResult
    private func giveBack(_ event: EventID, evenWithoutCopy: Bool = false, redisAnswers: Bool = false) async -> Bool {
        let hadCopy = self.state.withLock { state -> Bool? in
            guard state.mode == .redis || redisAnswers, !state.escrow.unsettledSales.contains(where: { $0.eventID == event }) else {
                return nil
            }
            guard state.escrow.events.contains(event) else { return evenWithoutCopy ? false : nil }
            state.escrow.remove(event)
            state.givingBack.insert(event)
            return true
        }
        guard let hadCopy else { return false }
        guard hadCopy else {
            guard let count = try? await self.escrow.giveBack(event: event) else { return false }
            if count > 0 {
                self.logger.warning(
                    "gave back an escrow that this instance's copy had lost",
                    metadata: ["ticket.event_id": "\(event)", "fallback.tickets": "\(count)"]
                )
            }
            return true
        }
        defer { _ = self.state.withLock { $0.givingBack.remove(event) } }
        return await withSpan("give escrow back", context: .topLevel, ofKind: .internal) { span in
            span.attributes[TraceAttribute.eventID] = event.rawValue
            do {
                // The local mirror shrinks before Redis's escrow does: a crash in between never lets this instance
                // sell a ticket that is back in the pool.
                try await self.saveMirror()
                let count = try await self.escrow.giveBack(event: event)
                span.attributes[TraceAttribute.escrowTickets] = -count
                if count > 0 {
                    self.logger.info("escrow given back to the pool", metadata: ["ticket.event_id": "\(event)", "fallback.tickets": "\(count)"])
                }
                return true
            } catch {
                span.recordError(error)
                span.setStatus(SpanStatus(code: .error, message: "\(error)"))
                self.logger.notice("cannot give the escrow back now", metadata: ["ticket.event_id": "\(event)", "error": "\(error)"])
                return false
            }
        }
    }

    /// Records a top-up that moved tickets as a span `top up escrow` (a trace of its own) from `start` to now. Only
    /// top-ups that moved tickets are traced: the escrow is checked every refresh interval, and a trace a second
    /// saying that nothing happened would bury the ones that matter.
    private static func traceTopUp(of event: EventID, by tickets: Int, escrow: Int, since start: DefaultTracerClock.Instant) {
        let span = InstrumentationSystem.tracer.startSpan("top up escrow", context: .topLevel, ofKind: .internal, at: start)
        span.updateAttributes { attributes in
            attributes[TraceAttribute.eventID] = event.rawValue
            attributes[TraceAttribute.escrowTickets] = tickets
            attributes[TraceAttribute.escrowSize] = escrow
        }
        span.end()
    }

    private func saveMirror() async throws {
        try await self.files.saveEscrow(self.state.withLock { $0.escrow.mirror })
    }

    private static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
