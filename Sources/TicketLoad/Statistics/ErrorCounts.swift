/// Requests and connections that ended without an HTTP answer.
public struct ErrorCounts: Sendable, Hashable, Codable {
    /// TCP connects that failed or timed out.
    public var connect = 0
    /// Connections lost (reset, closed by the server, unparsable answer) with a request in flight.
    public var read = 0
    /// Requests not answered within the request timeout; their connection was closed.
    public var timeout = 0

    /// No errors.
    public init() {}

    /// Requests whose outcome is unknown: they reached the service (or may have) but no answer was read, so each
    /// may have sold a ticket that the tester never saw.
    public var unknownOutcomes: Int { self.read + self.timeout }

    /// All errors.
    public var total: Int { self.connect + self.read + self.timeout }

    /// Adds another count to this one.
    public mutating func add(_ other: ErrorCounts) {
        self.connect += other.connect
        self.read += other.read
        self.timeout += other.timeout
    }
}
