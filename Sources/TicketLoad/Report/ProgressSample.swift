/// The whole run's counts at one moment, for the progress line.
public struct ProgressSample: Sendable, Hashable {
    /// Time since the run started.
    public var elapsed: Duration
    /// Answers read so far.
    public var responses: Int
    /// `201` answers so far.
    public var purchases: Int
    /// Connect, read and timeout errors so far.
    public var errors: Int
    /// Connections open now.
    public var openConnections: Int

    /// A sample.
    public init(elapsed: Duration, responses: Int, purchases: Int, errors: Int, openConnections: Int) {
        self.elapsed = elapsed
        self.responses = responses
        self.purchases = purchases
        self.errors = errors
        self.openConnections = openConnections
    }
}
