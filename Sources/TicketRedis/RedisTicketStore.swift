import Logging
import RESPClient
import TicketCore
import Tracing

/// The ticket store on Redis: `purchase.lua` sells in one `EVALSHA` per batch of concurrent purchases of an event.
///
/// Each event's pool, ledger, per-user counts and description live under its own hash tag (see ``EventKeys``),
/// so the purchase script checks and pops atomically, alone or on a cluster. Purchases of one event that arrive
/// together share one script call (see ``PurchaseBatcher``), each still judged as if it ran alone. A striped
/// event's purchase asks its stripes in turn (see ``EventStripe``) and hears sold out only when every one is. Call
/// ``prepare()`` once at start-up (`SCRIPT LOAD`); the client's `NOSCRIPT` fallback covers a Redis that lost its
/// script cache later.
public struct RedisTicketStore: TicketStore, TicketAuditor {
    let client: RedisClient
    private let logger: Logger
    private let batcher: PurchaseBatcher
    private let keyedPurchases = PurchaseIDTurns()
    private let purchaseIDLock: PurchaseIDLock
    let stripeCounts: StripeCounts
    /// The tracer, looked up once: `InstrumentationSystem.tracer` takes a lock and casts the bootstrapped instrument
    /// on every call, a cost the profile showed per traced purchase.
    private let tracer: any Tracer

    /// Creates a store on a running (or soon running) client; bootstrap the instrumentation system first, when
    /// tracing.
    public init(client: RedisClient, logger: Logger) {
        self.client = client
        self.tracer = InstrumentationSystem.tracer
        self.logger = logger
        self.stripeCounts = StripeCounts(client: client)
        self.purchaseIDLock = PurchaseIDLock(client: client)
        self.batcher = PurchaseBatcher { batch in await Self.send(batch, client: client, logger: logger) }
    }

    /// Loads the scripts into Redis so the first purchase does not pay for `EVAL`.
    /// - Throws: ``RedisError`` when Redis cannot be reached.
    public func prepare() async throws(RedisError) {
        for script in TicketScripts.servingScripts {
            try await self.client.loadScript(script)
        }
    }

    // MARK: Purchases

    /// Sells one ticket through the purchase script, in a batch with others of its event.
    ///
    /// Traced as a client span `EVALSHA purchase.lua`, a child of the caller's span, from the purchase's arrival at
    /// the batcher to its answer: the time it waited for a batch and the batch's round trip, retries included. Only
    /// a caller's span that records gets one (see ``InstrumentationContext/recordingParent``): with tracing off or
    /// the trace not sampled, no span is started.
    public func purchase(_ request: PurchaseRequest) async throws(PurchaseError) -> PurchaseResult {
        guard let parent = InstrumentationContext.recordingParent else { return try await self.sell(request) }
        let span = self.tracer.startSpan("EVALSHA purchase.lua", context: parent, ofKind: .client)
        defer { span.end() }
        return try await Self.recordingOutcome(on: span) { () async throws(PurchaseError) in
            try await self.sell(request)
        } describe: { attributes in
            attributes.set("db.system.name", value: .string("redis"))
            attributes.set("db.operation.name", value: .string("EVALSHA"))
            attributes.set(TraceAttribute.redisScript, value: .string("purchase.lua"))
            attributes.set(TraceAttribute.eventID, value: .string(request.eventID.rawValue))
            attributes.set(TraceAttribute.fallback, value: .bool(false))
        }
    }

    /// Sells from the event's pool, or from its stripes in turn. When every stripe is empty and the stripe count
    /// was read more than a second ago, it is read again: a reseed may have striped the event differently.
    private func sell(_ request: PurchaseRequest) async throws(PurchaseError) -> PurchaseResult {
        let event = request.eventID
        let stripes: Int
        do {
            stripes = try await self.stripeCounts.count(of: event)
        } catch {
            // A read: whatever its outcome, nothing was sold (the error's "Redis may have run it" is about the read).
            let reason = error.kind == .outcomeUnknown ? "it did not answer in time" : error.message
            throw PurchaseError(.unavailable, "the ticket store is unreachable (\(reason)); nothing was sold", nothingSent: true)
        }
        do {
            return try await self.sell(request, stripes: stripes)
        } catch let error where error.code == .soldOut {
            guard let reread = await self.stripeCounts.reread(event, ifOlderThan: .seconds(1)), reread != stripes else { throw error }
            return try await self.sell(request, stripes: reread)
        } catch let error where error.code == .unknownEvent {
            self.stripeCounts.forget(event)
            throw error
        }
    }

    /// Sells from the first stripe of the purchase that has a ticket, in the order ``EventStripe/first(for:of:stripes:)``
    /// gives; an event with one stripe is a single try.
    ///
    /// A purchase id that another request may carry (an `Idempotency-Key`) is first looked up on every stripe: an
    /// earlier request may have bought it on a later stripe while the first one was empty, and the first one may
    /// hold tickets again since (an escrow given back). Requests with the same such id take turns, within this
    /// instance (``PurchaseIDTurns``) and across instances (``PurchaseIDLock``), so that the second finds the first
    /// one's sale.
    private func sell(_ request: PurchaseRequest, stripes: Int) async throws(PurchaseError) -> PurchaseResult {
        let first = EventStripe.first(for: request.purchaseID, of: request.eventID, stripes: stripes)
        guard stripes > 1 else { return try await self.batcher.purchase(request, from: first) }
        guard !request.purchaseIDIsPrivate else { return try await self.sell(request, from: first, stripes: stripes) }
        return try await self.keyedPurchases.run(request.purchaseID) { () async throws(PurchaseError) in
            try await self.purchaseIDLock.holding(request) { () async throws(PurchaseError) in
                if let earlier = try await self.recordedPurchase(request, stripes: stripes) {
                    return PurchaseResult(purchase: earlier, isReplay: true)
                }
                return try await self.sell(request, from: first, stripes: stripes)
            }
        }
    }

    /// Asks the stripes of a striped event in turn, from `first` on.
    ///
    /// A stripe that certainly sold nothing because its Redis cannot be reached or takes no writes (one cluster
    /// shard down) is passed over for the next, as an empty one is: the purchase's id reached no other stripe, so
    /// none can sell it twice, and the event sells from its live shards. Its tickets may still be there, so the
    /// event is then not sold out: when no stripe sells, that refusal is the answer. A purchase whose outcome on
    /// a stripe is unknown goes no further: it may have sold there.
    private func sell(_ request: PurchaseRequest, from first: EventStripe, stripes: Int) async throws(PurchaseError) -> PurchaseResult {
        var unreachable: PurchaseError?
        var soldOut: PurchaseError?
        var missing: PurchaseError?
        for stripe in first.andTheRest(of: stripes) {
            do {
                return try await self.batcher.purchase(request, from: stripe)
            } catch let error where error.code == .soldOut || error.code == .escrowHeld {
                // Tickets held in some stripe's escrow keep the event from being sold out.
                if soldOut?.code != .escrowHeld { soldOut = error }
            } catch let error where error.code == .unknownEvent {
                // A stripe without its description: the event is gone, or a reseed is rebuilding it.
                missing = error
            } catch let error where error.code == .unavailable && (error.nothingSent || error.writeRefusal != nil) {
                unreachable = unreachable ?? error
            }
        }
        throw unreachable ?? soldOut ?? missing ?? PurchaseError(.unknownEvent, "there is no event \(request.eventID)")
    }

    /// The purchase recorded under the request's id on any stripe of its event.
    private func recordedPurchase(_ request: PurchaseRequest, stripes: Int) async throws(PurchaseError) -> Purchase? {
        do {
            return try await self.purchase(request.purchaseID, in: EventStripe.all(of: request.eventID, count: stripes))
        } catch {
            // Only reads were sent: nothing was sold.
            throw PurchaseError(.unavailable, "\(error.message); nothing was sold", nothingSent: true)
        }
    }

    /// Runs `sale` and describes it on `span`, which it owns: the attributes `describe` sets, with
    /// ``TraceAttribute/purchaseOutcome`` (replacing any the span had), and an error status when nothing could serve
    /// it.
    ///
    /// The attributes are gathered after the sale, not before: a dictionary built before would be held through the
    /// sale's wait by every purchase in flight, thousands at a time. They are set once, whole: changing a span's
    /// attributes in place copies them all (`Span` has no mutating accessor). Callers set them as `SpanAttribute`s:
    /// the subscript takes an existential `SpanAttributeConvertible` and converts it.
    static func recordingOutcome(
        on span: any Span,
        _ sale: () async throws(PurchaseError) -> PurchaseResult,
        describe: (inout SpanAttributes) -> Void
    ) async throws(PurchaseError) -> PurchaseResult {
        let result: Result<PurchaseResult, PurchaseError>
        do throws(PurchaseError) {
            result = .success(try await sale())
        } catch {
            result = .failure(error)
        }
        var attributes = SpanAttributes()
        attributes.reserveCapacity(Self.spanAttributeCapacity)
        describe(&attributes)
        attributes.set(TraceAttribute.purchaseOutcome, value: .string(Self.outcome(result)))
        span.attributes = attributes
        if case .failure(let error) = result, error.code == .unavailable {
            span.setStatus(SpanStatus(code: .error, message: error.message))
        }
        return try result.get()
    }

    /// Room for a purchase span's attributes: the Redis call's five and the outcome. Six fill a dictionary of eight
    /// buckets, small enough for glibc's per-thread cache (see `RequestTracingMiddleware.attributeCapacity`); the
    /// purchase id is on the span's parent, the request's.
    private static let spanAttributeCapacity = 6

    /// The outcome attribute of a purchase's span.
    private static func outcome(_ result: Result<PurchaseResult, PurchaseError>) -> String {
        switch result {
        case .success(let purchase): return purchase.isReplay ? "replayed" : "sold"
        case .failure(let error) where error.code == .soldOut: return "sold_out"
        case .failure(let error) where error.code == .escrowHeld: return "escrow_held"
        case .failure(let error) where error.code == .unknownEvent: return "unknown_event"
        case .failure(let error) where error.code == .userLimitReached: return "user_limit"
        case .failure: return "unavailable"
        }
    }

    /// Runs the purchase script for a batch and answers each of its purchases.
    static func send(_ batch: PurchaseBatch, client: RedisClient, logger: Logger) async -> [Result<PurchaseResult, PurchaseError>] {
        var attempt = 1
        var outcomeUnknown = false
        while true {
            do {
                let reply = try await client.evalScript(
                    TicketScripts.purchase,
                    keys: batch.scriptKeys,
                    arguments: batch.scriptArguments,
                    options: RedisCommandOptions(idempotent: true)
                )
                return try batch.results(of: reply)
            } catch let error as RedisError {
                // An unknown outcome is settled by asking again with the same purchase ids and sale time: the
                // script answers with the purchases it made, or makes them now; it never sells a second ticket.
                outcomeUnknown = outcomeUnknown || error.kind == .outcomeUnknown
                if error.kind == .outcomeUnknown, error.reason != .cancelled, attempt < Self.attemptsOnUnknownOutcome {
                    attempt += 1
                    logger.notice(
                        "purchase outcome unknown; asking again with the same purchase ids",
                        metadata: ["purchases": "\(batch.requests.count)", "redis.error": "\(error.message)"]
                    )
                    continue
                }
                return batch.requests.map { .failure(Self.unavailable(error, purchaseID: $0.purchaseID, outcomeUnknown: outcomeUnknown)) }
            } catch let error as PurchaseError {
                return batch.requests.map { _ in .failure(error) }
            } catch {
                return batch.requests.map { _ in .failure(PurchaseError(.unavailable, "\(error)")) }
            }
        }
    }

    /// How often a purchase is sent when Redis leaves its outcome unknown (timeout, lost connection).
    static let attemptsOnUnknownOutcome = 3

    /// The refusal for a purchase Redis did not settle. Once any attempt's outcome was unknown the sale may have
    /// happened, whatever later attempts met, and the buyer is told so, never that nothing was sold.
    static func unavailable(_ error: RedisError, purchaseID: PurchaseID, outcomeUnknown: Bool) -> PurchaseError {
        if outcomeUnknown || error.kind == .outcomeUnknown {
            return PurchaseError(
                .unavailable,
                "the ticket store did not answer in time; purchase \(purchaseID) may have been recorded",
                outcomeUnknown: true
            )
        }
        if error.kind == .notSent {
            return PurchaseError(.unavailable, "the ticket store is unreachable; nothing was sold (\(error.message))", nothingSent: true)
        }
        if let code = error.serverErrorCode, Self.writeRefusals.contains(code) {
            return PurchaseError(
                .unavailable,
                "the ticket store takes no writes now; nothing was sold (\(error.message))",
                writeRefusal: error.message
            )
        }
        return PurchaseError(.unavailable, "the ticket store refused the purchase: \(error.message)")
    }

    /// Redis's errors for a server that takes no writes now: out of memory under `noeviction` (`OOM`), unable to
    /// save its snapshot (`MISCONF`), a replica (`READONLY`), too few replicas (`NOREPLICAS`), a cluster whose slot
    /// has no primary (`CLUSTERDOWN`, after the cluster client's retries). The purchase script declares itself
    /// with a shebang, so Redis checks them all before the script runs and refuses it whole: nothing was sold.
    static let writeRefusals: Set<Substring> = ["OOM", "MISCONF", "READONLY", "NOREPLICAS", "CLUSTERDOWN"]

    // MARK: Events

    /// The event's description and counts; a striped event's counts are summed over its stripes.
    public func event(_ id: EventID) async throws(TicketStoreError) -> EventSnapshot? {
        guard let first = try await self.snapshot(EventStripe(eventID: id, index: 0)) else { return nil }
        self.stripeCounts.remember(first.stripes, of: id)
        var event = first.event
        for index in 1..<max(first.stripes, 1) {
            // A stripe without its description (a reseed rebuilding it) adds nothing.
            guard let stripe = try await self.snapshot(EventStripe(eventID: id, index: index))?.event else { continue }
            event.capacity += stripe.capacity
            event.available += stripe.available
            event.sold += stripe.sold
        }
        return event
    }

    /// One stripe's description and counts, read atomically, and the event's stripe count as it says it.
    private func snapshot(_ stripe: EventStripe) async throws(TicketStoreError) -> (event: EventSnapshot, stripes: Int)? {
        let id = stripe.eventID
        let keys = EventKeys(stripe)
        let reply: RESPValue
        do {
            reply = try await self.client.evalScript(
                TicketScripts.snapshot,
                keys: [.string(keys.meta), .string(keys.tickets), .string(keys.purchases), .string(keys.escrows)],
                options: RedisCommandOptions(idempotent: true)
            )
        } catch {
            throw TicketStoreError("cannot read event \(id): \(error.message)")
        }
        guard let fields = reply.array else { throw TicketStoreError("unexpected snapshot of event \(id): \(reply)") }
        guard fields.count == 8 else { return nil }
        func text(_ index: Int) -> String? { fields[index].string.flatMap { $0.isEmpty ? nil : $0 } }
        func number(_ index: Int) -> Int { fields[index].integer.map { Int($0) } ?? 0 }
        let event = EventSnapshot(
            id: id,
            name: text(0) ?? id.rawValue,
            venue: text(1),
            startsAt: text(2),
            capacity: number(3),
            available: number(6),
            sold: number(7),
            perUserLimit: number(4)
        )
        return (event, max(number(5), 1))
    }

    public func events() async throws(TicketStoreError) -> [EventSnapshot] {
        let ids = try await self.eventIDs()
        let snapshots: [EventSnapshot?]
        do {
            snapshots = try await withThrowingTaskGroup(of: (Int, EventSnapshot?).self) { group in
                for (index, id) in ids.enumerated() {
                    group.addTask { (index, try await self.event(id)) }
                }
                var results = [EventSnapshot?](repeating: nil, count: ids.count)
                for try await (index, snapshot) in group { results[index] = snapshot }
                return results
            }
        } catch let error as TicketStoreError {
            throw error
        } catch {
            throw TicketStoreError("\(error)")
        }
        return snapshots.compactMap { $0 }
    }

    /// Every event that can be read now: one on a cluster shard that is down is named with its error, and the
    /// others are read all the same (black-box testing found every event gone from `/metrics` while one shard was
    /// down). One event after another, for `/metrics`: a task group whose children caught their own errors crashed
    /// the release build (Swift 6.3.1) as a server started, on an index out of range that its code cannot produce
    /// and that vanished when a precondition was added; the debug build never did.
    public func readableEvents() async throws(TicketStoreError) -> EventListing {
        var listing = EventListing(events: [])
        for id in try await self.eventIDs() {
            do {
                if let snapshot = try await self.event(id) { listing.events.append(snapshot) }
            } catch {
                listing.unreadable[id] = error.message
            }
        }
        return listing
    }

    /// Every event id in the index, ordered.
    func eventIDs() async throws(TicketStoreError) -> [EventID] {
        let reply: RESPValue
        do {
            reply = try await self.client.execute(
                RESPCommand("SMEMBERS", .string(EventKeys.eventIndex)),
                options: RedisCommandOptions(idempotent: true)
            )
        } catch {
            throw TicketStoreError("cannot list events: \(error.message)")
        }
        return (reply.array ?? []).compactMap { $0.string.flatMap(EventID.init) }.sorted()
    }

    // MARK: Health

    /// Redis's health: `up` when it answers `PING` and takes writes, `degraded` while the client has lost some of
    /// its connections or Redis holds writes (purchases wait), `down` when it does not answer or takes no writes
    /// (every purchase answers 503 then).
    public func health() async -> StoreHealth {
        var (health, writesRefused) = await self.probe()
        if let writesRefused {
            health.status = "down"
            health.detail = "Redis takes no writes, so no purchase can be recorded: \(writesRefused)"
        }
        return health
    }

    /// Probes Redis with `PING`, then, when it answers, with a script that may write and does not
    /// (`writable.lua`): Redis refuses it exactly when it would refuse a purchase, and holds it exactly when it
    /// would hold one (`CLIENT PAUSE WRITE`, the pause of a `FAILOVER`), answering `PING` meanwhile.
    /// - Returns: The health `PING` says, `degraded` when the script got no answer in time; and Redis's refusal of
    ///   writes, if it refused (`MISCONF` refuses `PING` too).
    func probe() async -> (health: StoreHealth, writesRefused: String?) {
        let clock = ContinuousClock()
        let start = clock.now
        let timeout = Duration.milliseconds(500)
        let options = RedisCommandOptions(timeout: timeout, idempotent: true)
        do {
            _ = try await self.client.execute(RESPCommand("PING"), options: options)
        } catch {
            let refused = error.serverErrorCode.map(Self.writeRefusals.contains) == true
            return (StoreHealth(status: "down", detail: error.message), refused ? error.message : nil)
        }
        let elapsed = clock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var health = StoreHealth(status: self.client.health == .up ? "up" : "degraded", latencyMs: (milliseconds * 1000).rounded() / 1000)
        do {
            try await self.runWritableScript(timeout: timeout)
        } catch  where error.serverErrorCode.map(Self.writeRefusals.contains) == true {
            return (health, error.message)
        } catch  where error.kind == .outcomeUnknown {
            // Black-box testing found `/health` up during a `CLIENT PAUSE WRITE` while no purchase was answered.
            health.status = "degraded"
            health.detail = "Redis answers PING but held a script that may write for \(timeout): writes are paused or Redis is busy"
        } catch {
            // Not a refusal of writes: what `PING` said stands.
        }
        return (health, nil)
    }

    /// Runs `writable.lua`, a script that may write and writes nothing, within `timeout`: Redis refuses it when it
    /// would refuse a purchase and holds it when it would hold one. Sent with `EVAL`, not `EVALSHA`, so that Redis's
    /// `cmdstat_evalsha` counts the purchases and the other scripts alone, though the fallback's probe runs it ten
    /// times a second.
    func runWritableScript(timeout: Duration) async throws(RedisError) {
        let command = RESPCommand("EVAL", .string(TicketScripts.writable.source), .integer(0))
        _ = try await self.client.execute(command, options: RedisCommandOptions(timeout: timeout, idempotent: true))
    }

    // MARK: Audit

    public func audit() async throws(TicketStoreError) -> AuditReport {
        try await self.audit(checking: [])
    }

    /// Whether the events' index lists `event` now.
    private func isIndexed(_ event: EventID) async throws(TicketStoreError) -> Bool {
        do {
            let reply = try await self.client.execute(
                RESPCommand("SISMEMBER", .string(EventKeys.eventIndex), .string(event.rawValue)),
                options: RedisCommandOptions(idempotent: true)
            )
            return reply.integer == 1
        } catch {
            throw TicketStoreError("auditing event \(event): reading the events' index failed: \(error.message)")
        }
    }

    /// Audits every event, and checks `answers` against the ledger (see ``AnsweredPurchase``).
    ///
    /// The events are those of the events' index and those with any of their books in Redis, found by scanning the
    /// keys (every primary of a cluster), and those the answers name: an event missing from the index sells all
    /// the same, and the audit of the index alone did not see it (black-box testing). Such an event is audited,
    /// and its absence from the index reported. The scan also finds escrow lists that no event's set of escrows
    /// registers.
    public func audit(checking answers: [AnsweredPurchase]) async throws(TicketStoreError) -> AuditReport {
        let indexed = try await self.eventIDs()
        let keys: Set<String>
        do {
            keys = try await self.client.keys(matching: EventKeys.everyEventKey)
        } catch {
            throw TicketStoreError("auditing: listing the events' keys failed: \(error.message)")
        }
        let answersByEvent = Dictionary(grouping: answers, by: \.eventID)
        let booked = Set(keys.compactMap(EventKeys.bookedEvent(byKey:)))
        let unindexed = Set(answersByEvent.keys).union(booked).subtracting(indexed)
        var events: [AuditReport.EventAudit] = []
        for id in indexed + unindexed.sorted(by: { $0.rawValue < $1.rawValue }) {
            if let named = answersByEvent[id], !booked.contains(id), unindexed.contains(id), try await !self.isIndexed(id) {
                // Only answers know of it: an event that does not exist, not one whose books are broken (its audit
                // reported a missing capacity and index entry).
                let first = "purchase \(named[0].purchaseID) (ticket \(named[0].ticketID))"
                let problem = "no such event in Redis, yet \(named.count) answers name it: \(first)"
                events.append(AuditReport.EventAudit(eventID: id, seeded: 0, available: 0, escrowed: 0, sold: 0, problems: [problem]))
                continue
            }
            let auditor = TicketAudit(client: self.client, event: id, answers: answersByEvent[id] ?? [], scannedKeys: keys)
            var audit = try await auditor.run()
            // Asked again: a seed publishes a new event's pool first and lists it in the index right after.
            if unindexed.contains(id), try await !self.isIndexed(id) {
                audit.problems.insert("the events' index (\(EventKeys.eventIndex)) does not list it", at: 0)
            }
            events.append(audit)
        }
        return AuditReport(events: events)
    }
}
