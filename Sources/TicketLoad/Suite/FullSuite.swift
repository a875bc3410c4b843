import Foundation

/// The `--full` suite: five scenarios against a live service, each audited, each with one verdict.
///
/// The scenarios need pools of known sizes, so the suite first reseeds events 1…5 through `ticketd seed --reset`
/// (every sale of them is forgotten): event 1 gets a small pool (a fifth of the connections), events 2…5 get
/// 20,000 tickets each, every event a per-user limit of 4. Then:
///
/// | scenario | load | expected |
/// | --- | --- | --- |
/// | race to sell-out | event 1, all connections, twice as many requests | exactly the pool sold, everyone else 409 |
/// | sold-out hammering | event 1 again, all connections, 3 s | only 409, nothing sold |
/// | several events at once | events 2, 3, 4 round-robin, all connections | every request sold a ticket |
/// | idempotency replays | event 5, 30% of requests repeat a key | every repeat answered with its original purchase |
/// | per-user limit | event 5, 50 named buyers, 2000 requests | exactly 4 tickets per buyer, the rest 403 |
///
/// Every scenario also passes the duplicate audit (``PurchaseAudit``), Redis's included.
public struct FullSuite: Sendable {
    /// Tickets of events 2…5.
    static let largePool = 20_000
    /// The per-user limit every event is seeded with.
    static let perUserLimit = 4
    /// Named buyers in the per-user limit scenario.
    static let buyers = 50

    /// The service.
    public var target: TargetURL
    /// Connections of the scenarios that race (the others use at most 1000).
    public var connections: Int
    /// Seeds the pools and audits Redis.
    public var ticketd: any TicketdControl
    /// Event-loop threads.
    public var threads: Int
    /// How long a request may wait for its answer.
    public var requestTimeout: Duration = .seconds(10)
    /// How long a TCP connect may take.
    public var connectTimeout: Duration = .seconds(10)

    /// A suite.
    public init(target: TargetURL, connections: Int, ticketd: any TicketdControl, threads: Int) {
        self.target = target
        self.connections = connections
        self.ticketd = ticketd
        self.threads = threads
    }

    /// Reseeds, then runs each scenario in turn.
    /// - Parameter onVerdict: Called as each scenario ends.
    /// - Returns: Every verdict, in order.
    /// - Throws: ``LoadError`` when a scenario cannot be run at all.
    public func run(onVerdict: @Sendable (ScenarioVerdict) -> Void) async throws -> [ScenarioVerdict] {
        let racePool = max(10, self.connections / 5)
        try await self.ticketd.seed(events: 5, tickets: Self.largePool, perUserLimit: Self.perUserLimit)
        try await self.ticketd.seed(events: 1, tickets: racePool, perUserLimit: Self.perUserLimit)
        let small = min(self.connections, 1000)
        var verdicts: [ScenarioVerdict] = []
        func scenario(_ name: String, _ configure: (inout LoadConfiguration) -> Void, check: (LoadReport) -> (String, [String])) async throws {
            var configuration = LoadConfiguration(target: self.target, events: ["1"])
            configuration.threads = self.threads
            configuration.requestTimeout = self.requestTimeout
            configuration.connectTimeout = self.connectTimeout
            configure(&configuration)
            let report = try await LoadRunner(configuration: configuration, ticketd: self.ticketd).run()
            let (summary, expectations) = check(report)
            let findings = report.audit.findings + expectations
            let verdict = ScenarioVerdict(name: name, passed: findings.isEmpty, summary: summary, findings: findings, report: report)
            onVerdict(verdict)
            verdicts.append(verdict)
        }

        try await scenario("race to sell-out") {
            $0.connections = self.connections
            $0.stop = .requests(max(2 * self.connections, 2 * racePool))
        } check: { report in
            let sold = report.statusCount(201)
            var problems = Self.onlyStatuses([201, 409], in: report)
            if sold != racePool { problems.append("expected exactly \(racePool) tickets sold, got \(sold)") }
            if let event = report.audit.events.first, event.after.available != 0 {
                problems.append("expected the pool empty, \(event.after.available) left")
            }
            return (
                "\(sold) of \(racePool) tickets sold once to \(report.connections) connections, \(report.statusCount(409)) told sold out, "
                    + "p99 \(report.latency.p99.formatted(decimals: 1)) ms", problems
            )
        }

        try await scenario("sold-out hammering") {
            $0.connections = self.connections
            $0.stop = .duration(.seconds(3))
        } check: { report in
            var problems = Self.onlyStatuses([409], in: report)
            if report.responses == 0 { problems.append("no answers at all") }
            return (
                "\(report.statusCount(409)) answers, all 409 sold out, \(report.throughput.formatted(decimals: 0))/s, "
                    + "p99 \(report.latency.p99.formatted(decimals: 1)) ms", problems
            )
        }

        try await scenario("several events at once") {
            $0.events = ["2", "3", "4"]
            $0.connections = self.connections
            $0.stop = .requests(min(3 * self.connections, 3 * Self.largePool / 2))
        } check: { report in
            var problems = Self.onlyStatuses([201], in: report)
            if report.audit.events.contains(where: { $0.soldSeen == 0 }) { problems.append("an event sold nothing") }
            let perEvent = report.audit.events.map { "\($0.event): \($0.soldSeen)" }.joined(separator: ", ")
            return (
                "\(report.statusCount(201)) tickets sold once (\(perEvent)), \(report.purchasesPerSecond.formatted(decimals: 0)) purchases/s",
                problems
            )
        }

        try await scenario("idempotency replays") {
            $0.events = ["5"]
            $0.connections = small
            $0.stop = .requests(5 * small)
            $0.replayShare = 0.3
        } check: { report in
            var problems = Self.onlyStatuses([200, 201], in: report)
            if report.audit.replays == 0 { problems.append("no key was repeated") }
            return (
                "\(report.audit.replays) repeated keys, \(report.audit.replaysReturningOriginal) answered with the original purchase, "
                    + "\(report.statusCount(201)) tickets sold once", problems
            )
        }

        let buyerPrefix = "suite-\(UUID().uuidString.prefix(8).lowercased())"
        try await scenario("per-user limit") {
            $0.events = ["5"]
            $0.connections = small
            $0.stop = .requests(2000)
            $0.users = Self.buyers
            $0.userPrefix = buyerPrefix
        } check: { report in
            let expected = Self.buyers * Self.perUserLimit
            var problems = Self.onlyStatuses([201, 403], in: report)
            if report.statusCount(201) != expected {
                problems.append("expected exactly \(expected) tickets (\(Self.buyers) buyers x \(Self.perUserLimit)), got \(report.statusCount(201))")
            }
            return (
                "\(report.statusCount(201)) tickets to \(Self.buyers) buyers with a limit of \(Self.perUserLimit), "
                    + "\(report.statusCount(403)) refused 403", problems
            )
        }
        return verdicts
    }

    /// A finding for every status outside `allowed`, and one per error.
    private static func onlyStatuses(_ allowed: Set<Int>, in report: LoadReport) -> [String] {
        var problems = report.statusCounts.filter { !allowed.contains(Int($0.key) ?? 0) }.sorted { $0.key < $1.key }
            .map { "unexpected status \($0.key) x\($0.value)" }
        if report.errors.total > 0 {
            problems.append("errors: connect \(report.errors.connect), read \(report.errors.read), timeout \(report.errors.timeout)")
        }
        return problems
    }
}
