/// The two phases of a run: opening every connection, then the requests.
public struct RunTiming: Sendable, Hashable {
    /// From the first connect until every connection was open or had given up.
    public var connectPhase: Duration
    /// Connections open when the requests started.
    public var connectedBeforeStart: Int
    /// From the first request to the last answer.
    public var run: Duration

    /// Timings as measured.
    public init(connectPhase: Duration, connectedBeforeStart: Int, run: Duration) {
        self.connectPhase = connectPhase
        self.connectedBeforeStart = connectedBeforeStart
        self.run = run
    }
}
