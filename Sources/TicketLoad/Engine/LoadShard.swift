import DequeModule
import NIOCore
import NIOHTTP1
import NIOPosix

/// The buyers of one event loop: their connections, what they send, and what they count.
///
/// Everything here runs on `eventLoop` and nothing else touches it, so it needs no locks; the runner reaches it
/// through `NIOLoopBound` and `eventLoop.submit`. A run has two phases: ``connect()`` opens every connection
/// (each slot tries a few times), and ``go(runStart:)`` starts the requests on all of them at once, so that the
/// buyers race together and the connect storm stays out of the latencies. In closed-loop mode a connection sends its next request as
/// soon as it has its answer; in open-loop mode a tick puts each request due by the schedule in a queue with its
/// due time, and the next free connection sends it, so a slow service shows as latency instead of as fewer
/// requests (no coordinated omission).
final class LoadShard {
    /// What the progress line shows.
    struct Progress: Sendable {
        var responses = 0
        var purchases = 0
        var errors = 0
        var open = 0
    }

    /// How often timeouts and the deadline are checked.
    private static let sweepInterval: UInt64 = 250_000_000
    /// How often the open-loop schedule is topped up.
    private static let openLoopTick: UInt64 = 1_000_000
    /// Connect attempts in a row before a slot gives up.
    private static let connectAttempts = 5

    private let eventLoop: any EventLoop
    private let configuration: LoadConfiguration
    private let address: SocketAddress
    private let budget: RequestBudget
    /// When the requests started (uptime nanoseconds); the timeline counts from here.
    private var runStart: UInt64
    private var deadline: UInt64?
    /// Whether ``go(runStart:)`` has been called.
    private var running = false
    private var connectPhaseOver = false
    private let ratePerSecond: Double?
    private let heads: [HTTPRequestHead]
    private var planner: RequestPlanner
    private var tally = RunTally()

    private var slots: [BuyerHandler?]
    private var idle: [BuyerHandler] = []
    private var connecting = 0
    private var reconnectsPending = 0
    private var busy = 0
    private var open = 0
    /// Open-loop requests due and not yet sent: when each was due.
    private var pending = Deque<UInt64>()
    private var scheduled = 0
    /// Whether new requests may still be made (budget left, deadline not passed, some connection possible).
    private var accepting = true
    private var closing = false
    private var done = false
    private var lastSweep: UInt64
    private let connected: EventLoopPromise<Void>
    private let finished: EventLoopPromise<RunTally>

    /// A shard with `connections` connections; call ``start()`` on `eventLoop`.
    /// - Parameters:
    ///   - index: The shard's number, which makes its idempotency keys unique within the run.
    ///   - runID: Unique per run, which makes its keys unique across runs.
    ///   - rate: This shard's share of the open-loop rate, or `nil` for closed-loop.
    init(
        index: Int,
        runID: String,
        eventLoop: any EventLoop,
        configuration: LoadConfiguration,
        connections: Int,
        address: SocketAddress,
        budget: RequestBudget,
        rate: Double?
    ) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.address = address
        self.budget = budget
        self.runStart = NIODeadline.now().uptimeNanoseconds
        self.ratePerSecond = rate
        self.heads = configuration.events.map { event in
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/buy/\(event)")
            head.headers.add(name: "Host", value: configuration.target.hostHeader)
            head.headers.add(name: "Content-Length", value: "0")
            return head
        }
        self.planner = RequestPlanner(
            configuration: configuration,
            keyPrefix: "\(runID)-\(index)",
            seed: UInt64.random(in: .min ... .max)
        )
        self.slots = Array(repeating: nil, count: connections)
        self.lastSweep = self.runStart
        self.connected = eventLoop.makePromise()
        self.finished = eventLoop.makePromise()
    }

    /// Opens every connection; the future completes once each is open or has given up.
    func connect() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        for slot in self.slots.indices { self.connect(slot: slot, attempt: 1) }
        self.checkConnected()
        return self.connected.futureResult
    }

    /// Starts sending on every open connection; the future gives the tally once every request has been answered
    /// (or has failed) and every connection is closed.
    /// - Parameter runStart: The moment the run starts, the same for every shard (uptime nanoseconds).
    func go(runStart: UInt64) -> EventLoopFuture<RunTally> {
        self.eventLoop.preconditionInEventLoop()
        self.runStart = runStart
        self.lastSweep = runStart
        if case .duration(let duration) = self.configuration.stop {
            self.deadline = runStart + UInt64(duration.nanoseconds)
        }
        self.running = true
        let waiting = self.idle
        self.idle = []
        for handler in waiting { self.assign(handler) }
        self.scheduleTick()
        self.checkFinished()
        return self.finished.futureResult
    }

    /// The counts the progress line shows.
    func progress() -> Progress {
        Progress(responses: self.tally.responses, purchases: self.tally.count(201), errors: self.tally.errors.total, open: self.open)
    }

    // MARK: Connections

    private func connect(slot: Int, attempt: Int) {
        self.connecting += 1
        let shard = NIOLoopBound(self, eventLoop: self.eventLoop)
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(.nanoseconds(Int64(self.configuration.connectTimeout.nanoseconds)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(BuyerHandler(shard: shard.value, slot: slot))
                }
            }
            .connect(to: self.address)
            .assumeIsolated()
            .whenComplete { result in
                self.connecting -= 1
                switch result {
                case .success:
                    self.tally.connectionsOpened += 1
                case .failure:
                    self.tally.errors.connect += 1
                    self.tally.timeline[nanosecondsSinceStart: self.sinceStart(self.now())].errors += 1
                    if self.accepting, attempt < Self.connectAttempts {
                        self.reconnect(slot: slot, attempt: attempt + 1, after: .milliseconds(100 * Int64(attempt)))
                    }
                }
                self.checkConnected()
                self.checkFinished()
            }
    }

    private func reconnect(slot: Int, attempt: Int, after delay: TimeAmount) {
        self.reconnectsPending += 1
        self.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            self.reconnectsPending -= 1
            if self.accepting { self.connect(slot: slot, attempt: attempt) }
            self.checkConnected()
            self.checkFinished()
        }
    }

    /// A connection is up.
    func connected(_ handler: BuyerHandler) {
        self.open += 1
        self.slots[handler.slot] = handler
        if self.closing { handler.close() } else { self.assign(handler) }
    }

    /// A connection is down; `lost` is the request it had in flight, whose outcome is now unknown.
    func disconnected(_ handler: BuyerHandler, lost: PlannedRequest?, timedOut: Bool) {
        self.open -= 1
        self.slots[handler.slot] = nil
        if lost != nil {
            self.busy -= 1
            if timedOut { self.tally.errors.timeout += 1 } else { self.tally.errors.read += 1 }
            self.tally.timeline[nanosecondsSinceStart: self.sinceStart(self.now())].errors += 1
        }
        if self.accepting, !self.closing { self.connect(slot: handler.slot, attempt: 1) }
        self.checkFinished()
    }

    // MARK: Requests

    /// Gives a free connection its next request, or parks it.
    func assign(_ handler: BuyerHandler) {
        guard handler.isOpen, !self.closing else { return }
        guard self.running else {
            self.idle.append(handler)
            return
        }
        if self.ratePerSecond == nil {
            if self.accepting, self.budget.take() {
                self.send(on: handler, intendedAt: self.now())
                return
            }
            if self.budget.isSpent { self.accepting = false }
        } else if let due = self.pending.popFirst() {
            self.send(on: handler, intendedAt: due)
            return
        }
        self.idle.append(handler)
        self.checkFinished()
    }

    private func send(on handler: BuyerHandler, intendedAt: UInt64) {
        let request = self.planner.next()
        var head = self.heads[request.eventIndex]
        if let user = request.user { head.headers.add(name: "X-User-Id", value: user) }
        if let key = request.idempotencyKey { head.headers.add(name: "Idempotency-Key", value: key) }
        self.busy += 1
        self.tally.requestsSent += 1
        handler.send(request, head: head, intendedAt: intendedAt, now: self.now())
    }

    /// An answer arrived for `inFlight`.
    func answered(_ inFlight: BuyerHandler.InFlight, _ answer: BuyerHandler.Answer) {
        let now = self.now()
        self.busy -= 1
        let latency = now > inFlight.intendedAt ? now - inFlight.intendedAt : 0
        self.tally.responses += 1
        self.tally.statusCounts[answer.status, default: 0] += 1
        self.tally.latency.record(nanoseconds: latency)
        let second = self.sinceStart(now)
        self.tally.timeline[nanosecondsSinceStart: second].responses += 1
        self.tally.timeline[nanosecondsSinceStart: second].latency.record(nanoseconds: latency)
        if answer.status == 201 { self.tally.timeline[nanosecondsSinceStart: second].purchases += 1 }
        self.record(inFlight.request, answer)
        if let deadline = self.deadline, now >= deadline { self.stopAccepting() }
    }

    /// Keeps what the duplicate audit needs from an answer.
    private func record(_ request: PlannedRequest, _ answer: BuyerHandler.Answer) {
        let event = self.configuration.events[request.eventIndex]
        let bytes = answer.body ?? ByteBuffer()
        let body = (answer.status == 200 || answer.status == 201) ? PurchaseBody(bytes) : nil
        // ticketd's 503 for a purchase it may have made names the purchase's ticket address. A 502 or 504 comes from a
        // proxy in front of the service (nginx), which may have handed the request on before the server went or
        // went quiet: the server may have sold it, as a killed instance's purchases in flight were.
        let mayHaveSold = answer.status == 503 ? String(buffer: bytes).contains("\"ticketUrl\"") : [502, 504].contains(answer.status)
        if mayHaveSold { self.tally.unknownOutcomeAnswers += 1 }
        if answer.status == 201 {
            guard let body else {
                self.tally.anomalies.append("a 201 for event \(event) without a ticketId or purchaseId: \(String(buffer: bytes).prefix(200))")
                return
            }
            if let named = body.eventId, named != event {
                self.tally.anomalies.append("a 201 for event \(event) that names event \(named): \(String(buffer: bytes).prefix(200))")
            }
            let sale = SaleRecord(
                event: event,
                ticketId: body.ticketId,
                purchaseId: body.purchaseId,
                user: request.user,
                idempotencyKey: request.idempotencyKey
            )
            self.tally.sales.append(sale)
            if request.replayOf == nil { self.planner.remember(sale) }
        }
        if let original = request.replayOf {
            self.tally.replays.append(ReplayRecord(original: original, status: answer.status, ticketId: body?.ticketId, purchaseId: body?.purchaseId))
        } else if answer.status == 200 {
            self.tally.anomalies.append(
                "a 200 (replay) for event \(event) to a purchase never made before (key \(request.idempotencyKey ?? "none")): \(String(buffer: bytes).prefix(200))"
            )
        }
    }

    // MARK: Schedule and shutdown

    private func scheduleTick() {
        let interval = self.ratePerSecond == nil ? Self.sweepInterval : Self.openLoopTick
        self.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(interval))) {
            self.tick()
        }
    }

    private func tick() {
        guard !self.done else { return }
        let now = self.now()
        if let deadline = self.deadline, now >= deadline { self.stopAccepting() }
        if let rate = self.ratePerSecond, self.accepting {
            // Request k is due at k / rate: those due by now are the first ⌊elapsed × rate⌋ + 1. (Counting only
            // ⌊elapsed × rate⌋ sent each request one interval late, and timed it from when it was due: a service
            // answering in a millisecond showed a p50 of 2 s at --rate 1.)
            let due = Int(Double(self.sinceStart(now)) * rate / 1e9) + 1
            while self.scheduled < due {
                guard self.budget.take() else {
                    self.accepting = false
                    break
                }
                self.pending.append(self.runStart + UInt64(Double(self.scheduled) * 1e9 / rate))
                self.scheduled += 1
            }
            while !self.pending.isEmpty, let handler = self.popIdle() {
                self.send(on: handler, intendedAt: self.pending.removeFirst())
            }
        }
        if now >= self.lastSweep + Self.sweepInterval {
            self.lastSweep = now
            let timeout = UInt64(self.configuration.requestTimeout.nanoseconds)
            // Requests sent during this tick went out after `now`.
            for case let handler? in self.slots {
                if let inFlight = handler.inFlight, now > inFlight.sentAt + timeout { handler.timeOut() }
            }
        }
        self.checkFinished()
        self.scheduleTick()
    }

    private func popIdle() -> BuyerHandler? {
        while let handler = self.idle.popLast() {
            if handler.isOpen { return handler }
        }
        return nil
    }

    /// The deadline has passed: no new requests; open-loop requests still queued are dropped.
    private func stopAccepting() {
        self.accepting = false
        self.tally.requestsUnsent += self.pending.count
        self.pending.removeAll()
    }

    /// Completes the connect phase once every slot is open or has given up.
    private func checkConnected() {
        guard !self.connectPhaseOver, self.connecting == 0, self.reconnectsPending == 0 else { return }
        self.connectPhaseOver = true
        self.connected.succeed()
    }

    /// Closes everything once nothing more will be sent and nothing is awaited; fulfils the promise once closed.
    private func checkFinished() {
        guard self.running else { return }
        if !self.closing, self.open == 0, self.connecting == 0, self.reconnectsPending == 0 {
            // No connection is up and none is coming: the service is gone, or the run is over.
            self.stopAccepting()
        }
        guard !self.accepting, self.pending.isEmpty, self.busy == 0, self.connecting == 0 else { return }
        if !self.closing {
            self.closing = true
            for case let handler? in self.slots { handler.close() }
        }
        if self.open == 0, self.reconnectsPending == 0, !self.done {
            self.done = true
            self.finished.succeed(self.tally)
        }
    }

    private func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    /// Nanoseconds from the start of the run to `now`; 0 during the connect phase.
    private func sinceStart(_ now: UInt64) -> UInt64 { now > self.runStart ? now - self.runStart : 0 }
}
