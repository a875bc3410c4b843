import NIOCore

/// Everything one run of the load tester needs to know.
///
/// ```swift
/// var configuration = LoadConfiguration(target: try TargetURL("http://127.0.0.1:3049"), events: ["1"])
/// configuration.connections = 5000
/// configuration.stop = .duration(.seconds(30))
/// let report = try await LoadRunner(configuration: configuration).run()
/// ```
public struct LoadConfiguration: Sendable {
    /// The service.
    public var target: TargetURL
    /// The events bought from; requests go round-robin over them.
    public var events: [String]
    /// Open TCP connections, each with at most one request in flight (HTTP/1.1 keep-alive, no pipelining).
    public var connections: Int = 100
    /// When to stop sending.
    public var stop: StopCondition = .duration(.seconds(10))
    /// Buyers: `nil` buys anonymously (no per-user limit applies); `n` names each purchase's buyer with
    /// `X-User-Id: <userPrefix>-<k>`, `k` drawn uniformly from `0..<n`.
    public var users: Int? = nil
    /// The prefix of buyer ids; make it unique per run when the per-user limit is under test.
    public var userPrefix: String = "load-user"
    /// The share (0…1) of requests that repeat an earlier successful purchase's `Idempotency-Key`, buyer and event.
    /// When above 0 every fresh purchase carries a unique key.
    public var replayShare: Double = 0
    /// Open-loop mode: requests per second across all connections, each timed from when it was due to be sent
    /// (no coordinated omission). `nil` is closed-loop: each connection sends its next request when the last is
    /// answered.
    public var rate: Double? = nil
    /// How long a request may wait for its answer before its connection is closed and it counts as a timeout.
    public var requestTimeout: Duration = .seconds(10)
    /// How long a TCP connect may take.
    public var connectTimeout: Duration = .seconds(10)
    /// Event-loop threads; one per core by default.
    public var threads: Int = System.coreCount

    /// A configuration with defaults for everything but the service and its events.
    public init(target: TargetURL, events: [String]) {
        self.target = target
        self.events = events
    }

    /// Whether `text` can be a ticketd event id: what its `POST /buy/:eventId` takes.
    static func isEventID(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default:
                    byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                }
            }
    }

    /// Checks the values against each other.
    /// - Throws: ``LoadError`` naming the first value that makes no sense.
    public func validate() throws(LoadError) {
        guard !self.events.isEmpty else { throw .invalidArgument("name at least one event") }
        for event in self.events where !Self.isEventID(event) {
            throw .invalidArgument("event ids are 1 to 64 characters of A-Z, a-z, 0-9, _ or - (got \"\(event.prefix(80))\")")
        }
        guard self.connections > 0 else { throw .invalidArgument("--connections must be at least 1") }
        guard self.threads > 0 else { throw .invalidArgument("threads must be at least 1") }
        guard (0...1).contains(self.replayShare) else { throw .invalidArgument("--idempotency-replays must be from 0 to 1") }
        if let users = self.users, users < 1 { throw .invalidArgument("--users must be at least 1") }
        if let rate = self.rate, !(rate > 0) { throw .invalidArgument("--rate must be above 0") }
        switch self.stop {
        case .duration(let duration) where duration <= .zero: throw .invalidArgument("--duration must be above 0")
        case .requests(let count) where count < 1: throw .invalidArgument("--requests must be at least 1")
        default: break
        }
    }
}
