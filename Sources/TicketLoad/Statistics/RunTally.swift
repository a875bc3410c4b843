/// Everything counted during a run: by one event loop while it runs, and for the whole run once they are added up.
public struct RunTally: Sendable {
    /// Requests written to a connection.
    public var requestsSent = 0
    /// Open-loop requests that were due but never sent because the run ended first.
    public var requestsUnsent = 0
    /// HTTP answers read.
    public var responses = 0
    /// Answers by status code.
    public var statusCounts: [Int: Int] = [:]
    /// Connect, read and timeout errors.
    public var errors = ErrorCounts()
    /// Connections established, reconnections included.
    public var connectionsOpened = 0
    /// The latency of every answer.
    public var latency = LatencyHistogram()
    /// The run second by second.
    public var timeline = Timeline()
    /// Every `201` answer.
    public var sales: [SaleRecord] = []
    /// Every repeated purchase and its answer.
    public var replays: [ReplayRecord] = []
    /// `503` answers naming a purchase that may have been recorded (the service could not tell), and a proxy's
    /// `502` and `504`: like a request without an answer, each may have sold a ticket.
    public var unknownOutcomeAnswers = 0
    /// Answers that break the service's contract on their own (a `201` without a ticket, a fresh key answered as
    /// a replay), in words.
    public var anomalies: [String] = []

    /// Nothing counted yet.
    public init() {}

    /// Adds another tally of the same run.
    public mutating func add(_ other: RunTally) {
        self.requestsSent += other.requestsSent
        self.requestsUnsent += other.requestsUnsent
        self.responses += other.responses
        self.statusCounts.merge(other.statusCounts, uniquingKeysWith: +)
        self.errors.add(other.errors)
        self.connectionsOpened += other.connectionsOpened
        self.latency.add(other.latency)
        self.timeline.add(other.timeline)
        self.sales += other.sales
        self.replays += other.replays
        self.unknownOutcomeAnswers += other.unknownOutcomeAnswers
        self.anomalies += other.anomalies
    }

    /// Answers with this status.
    public func count(_ status: Int) -> Int { self.statusCounts[status, default: 0] }
}
