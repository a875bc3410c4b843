/// Everything a run measured and found; `--json` writes it as it is.
public struct LoadReport: Sendable, Codable {
    /// The service.
    public var url: String
    /// The events bought from.
    public var events: [String]
    /// Connections asked for.
    public var connections: Int
    /// `closed loop`, or `open loop at R requests/s`.
    public var mode: String
    /// When the run stopped sending (`30s`, `20000 requests`).
    public var stop: String
    /// From the first request to the last answer, in seconds.
    public var elapsedSeconds: Double
    /// How long opening the connections took, before the first request.
    public var connectSeconds: Double
    /// Connections open when the requests started.
    public var connectedBeforeStart: Int
    /// Requests written.
    public var requestsSent: Int
    /// Open-loop requests due but not sent before the end.
    public var requestsUnsent: Int
    /// Answers read.
    public var responses: Int
    /// Answers per second over the run.
    public var throughput: Double
    /// `201` answers per second over the run.
    public var purchasesPerSecond: Double
    /// Latency of every answer (open-loop: from when it was due).
    public var latency: LatencySummary
    /// Answers by status code.
    public var statusCounts: [String: Int]
    /// Requests and connects that failed.
    public var errors: ErrorCounts
    /// Connections established, reconnections included.
    public var connectionsOpened: Int
    /// The most connections open at once, sampled four times a second.
    public var peakOpenConnections: Int
    /// Second by second.
    public var timeline: [TimelinePoint]
    /// The duplicate audit.
    public var audit: PurchaseAudit
    /// Whether the audit found nothing wrong.
    public var passed: Bool
    /// Every purchase answered `201`, in no particular order; left out of the JSON, which would grow by some
    /// 100 bytes per sale.
    public var sales: [SaleRecord] = []

    private enum CodingKeys: String, CodingKey {
        case url, events, connections, mode, stop, elapsedSeconds, connectSeconds, connectedBeforeStart, requestsSent
        case requestsUnsent, responses, throughput, purchasesPerSecond, latency, statusCounts, errors, connectionsOpened
        case peakOpenConnections, timeline, audit, passed
    }

    /// The report of a finished run.
    public init(configuration: LoadConfiguration, tally: RunTally, timing: RunTiming, peakOpenConnections: Int, audit: PurchaseAudit) {
        let seconds = max(Double(timing.run.nanoseconds) / 1e9, 1e-9)
        self.url = configuration.target.description
        self.events = configuration.events
        self.connections = configuration.connections
        self.mode = configuration.rate.map { "open loop at \($0.formatted(decimals: 0)) requests/s" } ?? "closed loop"
        self.stop = configuration.stop.description
        self.elapsedSeconds = seconds
        self.connectSeconds = Double(timing.connectPhase.nanoseconds) / 1e9
        self.connectedBeforeStart = timing.connectedBeforeStart
        self.requestsSent = tally.requestsSent
        self.requestsUnsent = tally.requestsUnsent
        self.responses = tally.responses
        self.throughput = Double(tally.responses) / seconds
        self.purchasesPerSecond = Double(tally.count(201)) / seconds
        self.latency = LatencySummary(tally.latency)
        self.statusCounts = Dictionary(uniqueKeysWithValues: tally.statusCounts.map { (String($0.key), $0.value) })
        self.errors = tally.errors
        self.connectionsOpened = tally.connectionsOpened
        self.peakOpenConnections = peakOpenConnections
        self.timeline = tally.timeline.seconds.enumerated().map { TimelinePoint(second: $0.offset, bucket: $0.element, runSeconds: seconds) }
        self.audit = audit
        self.passed = audit.passed
        self.sales = tally.sales
    }
}

extension LoadReport {
    /// Answers with this status.
    public func statusCount(_ status: Int) -> Int { self.statusCounts[String(status), default: 0] }

    /// `event 1`, or `events 1,2,3`.
    var eventsLabel: String {
        self.events.count == 1 ? "event \(self.events[0])" : "events \(self.events.joined(separator: ","))"
    }
}
