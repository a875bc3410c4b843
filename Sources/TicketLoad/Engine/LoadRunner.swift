import NIOCore
import NIOPosix

/// Runs one load test: opens the connections, buys, waits for every answer, then audits what was sold.
///
/// ```swift
/// var configuration = LoadConfiguration(target: try TargetURL("http://127.0.0.1:3049"), events: ["1"])
/// configuration.connections = 5000
/// configuration.stop = .requests(50_000)
/// let report = try await LoadRunner(configuration: configuration).run { sample in print(sample.responses) }
/// if !report.passed { print(report.audit.findings) }
/// ```
///
/// The connections are spread over `configuration.threads` event loops of the runner's own, each with a
/// ``LoadShard`` that counts without locks; the tallies are added up at the end. Before the run each event's
/// counts are read (`GET /events/:eventId`), which also checks that the service answers; after it they are read
/// again, `ticketd audit` is run when a ``TicketdControl`` is given, and ``PurchaseAudit`` checks the lot.
public struct LoadRunner: Sendable {
    /// The run's settings.
    public let configuration: LoadConfiguration
    /// Runs `ticketd audit` after the run; `nil` leaves the Redis check out (the report says so).
    public let ticketd: (any TicketdControl)?

    /// A runner.
    public init(configuration: LoadConfiguration, ticketd: (any TicketdControl)? = nil) {
        self.configuration = configuration
        self.ticketd = ticketd
    }

    /// Runs the test.
    /// - Parameter progress: Called about once a second with the counts so far.
    /// - Returns: The report; its ``LoadReport/passed`` is `false` when the audit found anything wrong.
    /// - Throws: ``LoadError`` when the run cannot be made (bad options, too few file descriptors, no service,
    ///   an unknown event, `ticketd` failing to run).
    public func run(progress: (@Sendable (ProgressSample) -> Void)? = nil) async throws -> LoadReport {
        try self.configuration.validate()
        try OpenFileLimit.ensureRoom(forConnections: self.configuration.connections)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: self.configuration.threads)
        do {
            let report = try await self.run(on: group, progress: progress)
            try await group.shutdownGracefully()
            return report
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func run(on group: MultiThreadedEventLoopGroup, progress: (@Sendable (ProgressSample) -> Void)?) async throws -> LoadReport {
        let configuration = self.configuration
        let service = try await ServiceClient.connect(
            to: configuration.target,
            probeEvent: configuration.events[0],
            timeout: configuration.requestTimeout,
            group: group
        )
        var before: [String: EventCounts] = [:]
        for event in configuration.events { before[event] = try await service.eventCounts(event) }

        let loops = Array(group.makeIterator())
        let shardCount = min(loops.count, configuration.connections)
        let budget = RequestBudget(total: { if case .requests(let count) = configuration.stop { count } else { nil } }())

        let runID = Self.runID()
        let connectStart = ContinuousClock.now
        var shards: [(loop: any EventLoop, shard: NIOLoopBound<LoadShard>, connected: EventLoopFuture<Void>)] = []
        for index in 0..<shardCount {
            let loop = loops[index]
            let connections = configuration.connections / shardCount + (index < configuration.connections % shardCount ? 1 : 0)
            let rate = configuration.rate.map { $0 / Double(shardCount) }
            let address = service.address
            let (shard, connected) = try await loop.submit {
                let shard = LoadShard(
                    index: index,
                    runID: runID,
                    eventLoop: loop,
                    configuration: configuration,
                    connections: connections,
                    address: address,
                    budget: budget,
                    rate: rate
                )
                return (NIOLoopBound(shard, eventLoop: loop), shard.connect())
            }.get()
            shards.append((loop, shard, connected))
        }
        let started = shards

        let (tally, timing, peakOpen) = try await withThrowingTaskGroup(of: Outcome.self) { tasks in
            tasks.addTask {
                // Every connection first, then every buyer at once.
                for shard in started { try await shard.connected.get() }
                let connectPhase = ContinuousClock.now - connectStart
                var connectedBeforeStart = 0
                for shard in started {
                    connectedBeforeStart += try await shard.loop.submit { shard.shard.value.progress().open }.get()
                }
                let runStart = NIODeadline.now().uptimeNanoseconds
                let sending = ContinuousClock.now
                var finished: [EventLoopFuture<RunTally>] = []
                for shard in started {
                    finished.append(try await shard.loop.submit { shard.shard.value.go(runStart: runStart) }.get())
                }
                var total = RunTally()
                for future in finished { total.add(try await future.get()) }
                let timing = RunTiming(
                    connectPhase: connectPhase,
                    connectedBeforeStart: connectedBeforeStart,
                    run: ContinuousClock.now - sending
                )
                return .finished(total, timing)
            }
            tasks.addTask {
                // Samples four times a second for the peak of open connections; reports once a second.
                var peak = 0
                var tick = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    var sample = ProgressSample(
                        elapsed: ContinuousClock.now - connectStart,
                        responses: 0,
                        purchases: 0,
                        errors: 0,
                        openConnections: 0
                    )
                    for shard in started {
                        guard let counts = try? await shard.loop.submit({ shard.shard.value.progress() }).get() else { continue }
                        sample.responses += counts.responses
                        sample.purchases += counts.purchases
                        sample.errors += counts.errors
                        sample.openConnections += counts.open
                    }
                    peak = max(peak, sample.openConnections)
                    tick += 1
                    if tick % 4 == 0 { progress?(sample) }
                }
                return .peakOpenConnections(peak)
            }
            var tally = RunTally()
            var timing = RunTiming(connectPhase: .zero, connectedBeforeStart: 0, run: .zero)
            var peak = 0
            while let outcome = try await tasks.next() {
                switch outcome {
                case .finished(let total, let runTiming):
                    tally = total
                    timing = runTiming
                    tasks.cancelAll()
                case .peakOpenConnections(let sampled):
                    peak = sampled
                }
            }
            return (tally, timing, max(peak, timing.connectedBeforeStart))
        }

        // A service gone during the run still gets its report: the audit names the events whose counts it could
        // not read (before, the run ended in an error and no report at all).
        var after: [String: EventCounts] = [:]
        for event in configuration.events { after[event] = try? await service.eventCounts(event) }
        // A sale an instance made from its escrow (Redis down, or taking no writes) reaches the counts once the
        // instance settles it, at its next refresh that Redis lets through: a run that ended just before read a
        // count short of the sales seen. Counts short of them, or not read at all (a Redis shard that answered again
        // a moment after the run; black-box testing), are read again for up to 10 s.
        var soldSeen: [String: Int] = [:]
        for sale in tally.sales { soldSeen[sale.event, default: 0] += 1 }
        let settleDeadline = ContinuousClock.now + .seconds(10)
        func short(_ event: String) -> Bool {
            guard let then = before[event] else { return false }
            guard let now = after[event] else { return true }
            return now.sold - then.sold < soldSeen[event, default: 0]
        }
        while configuration.events.contains(where: short), ContinuousClock.now < settleDeadline {
            try? await Task.sleep(for: .milliseconds(500))
            for event in configuration.events where short(event) {
                if let counts = try? await service.eventCounts(event) { after[event] = counts }
            }
        }
        let redis = try await self.ticketd?.audit(checking: tally.sales)
        let audit = PurchaseAudit(tally: tally, before: before, after: after, redis: redis)
        return LoadReport(configuration: configuration, tally: tally, timing: timing, peakOpenConnections: peakOpen, audit: audit)
    }

    /// What the run's two tasks return: the shards' tallies added up, and the sampler's peak.
    private enum Outcome: Sendable {
        case finished(RunTally, RunTiming)
        case peakOpenConnections(Int)
    }

    /// Eight random base-36 characters: keys of different runs never meet.
    private static func runID() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return "tl" + String((0..<8).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}
