import NIOCore

/// How one connection is opened and behaves: where to, the handshake, and its limits.
public struct RedisConnectionConfiguration: Sendable {
    /// Where the server is and how to log in.
    public var endpoint: RedisEndpoint
    /// The name set with `CLIENT SETNAME` (visible in `CLIENT LIST`); `nil` sends a `PING` instead.
    public var clientName: String?
    /// How long opening the TCP connection plus the handshake may take.
    public var connectTimeout: Duration
    /// The most commands written and unanswered at once; further ones wait, unwritten, for room.
    public var maxInFlight: Int
    /// How long a connection may see no traffic before it sends a keep-alive `PING`; zero turns keep-alive off.
    public var keepAliveInterval: Duration
    /// How long a keep-alive `PING` may go unanswered before the connection is declared dead.
    public var keepAliveTimeout: Duration
    /// Caps that protect the decoder from hostile or broken replies.
    public var decoderLimits: RESPDecoderLimits

    /// Creates a configuration; every value but the endpoint has a default.
    public init(
        endpoint: RedisEndpoint,
        clientName: String? = "ticketd",
        connectTimeout: Duration = .seconds(1),
        maxInFlight: Int = 4096,
        keepAliveInterval: Duration = .seconds(5),
        keepAliveTimeout: Duration = .seconds(1),
        decoderLimits: RESPDecoderLimits = .init()
    ) {
        self.endpoint = endpoint
        self.clientName = clientName
        self.connectTimeout = connectTimeout
        self.maxInFlight = maxInFlight
        self.keepAliveInterval = keepAliveInterval
        self.keepAliveTimeout = keepAliveTimeout
        self.decoderLimits = decoderLimits
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(duration.nanoseconds)
    }
}
