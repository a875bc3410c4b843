import TicketCore

/// Everything the HTTP layer needs to know to serve; every value has a default.
///
/// ```swift
/// let configuration = AppConfiguration(port: 8080, adminToken: "s3cret")
/// ```
///
/// Read it from a `ConfigReader` with ``init(reader:)``.
public struct AppConfiguration: Sendable {
    /// The address to bind to.
    public var host: String
    /// The port to listen on; 0 picks a free one.
    public var port: Int
    /// The listen backlog: connections the kernel queues before `accept`. High, because load tests open thousands
    /// of connections at once.
    public var backlog: Int
    /// The most HTTP connections held open at once; further ones wait in the listen backlog. `nil`: no limit but
    /// the open-files limit (see ``ConnectionLimit`` for why a server should have one).
    public var maxConnections: Int?
    /// How long a connection may go without sending a whole request head or body chunk (between requests, or
    /// halfway through one) before it is closed, and how long its client may leave its answers unread (see
    /// ``ConnectionDeadlines``); `nil`: never. A request being answered is not silence.
    public var idleTimeout: Duration?
    /// How long, once the server begins to stop, a connection may go on finishing its request before it is closed
    /// (see ``ConnectionDeadlines``).
    public var drainTimeout: Duration
    /// Connections accepted per read of the listening socket (see ``AcceptBatch``); `nil`: NIO's default, 4.
    public var acceptsPerRead: Int?
    /// The `Server` response header.
    public var serverName: String
    /// The bearer token of the `/admin/` routes; `nil` (or empty) leaves those routes out entirely.
    public var adminToken: String?
    /// The secret that keys purchase ids derived from an `Idempotency-Key` (`TICKET_SIGNING_KEY`, when set), so
    /// that no one can compute another buyer's purchase id; `nil`: a plain hash (see
    /// ``PurchaseID/derived(event:user:key:secret:)``).
    public var purchaseIDSecret: TicketSigningKey?
    /// `development`, `production`, `test`…: reported, never branched on by this library.
    public var environment: String
    /// The version reported by `/health` and `/metrics` (default ``release``).
    public var version: String

    /// This source tree's release, which `openapi.yaml`'s `info.version` states too (a test keeps them equal).
    public static let release = "0.1.0"
    /// Whether requests are traced: a span per request (continuing an incoming `traceparent`) and, for a sampled
    /// request, its trace id in the `traceresponse` header and on the request's log lines. Set it once a tracer is
    /// bootstrapped (the router keeps the tracer it finds); when `false` the tracing middleware is left out of the
    /// router, so tracing costs nothing.
    public var tracing: Bool
    /// With ``tracing`` on, the sampler that decides for requests without a `traceparent` before the tracer is
    /// asked; `nil` leaves every decision to the tracer.
    public var rootSampler: RootSampler?

    /// Creates a configuration.
    public init(
        host: String = "0.0.0.0",
        port: Int = 3049,
        backlog: Int = 4096,
        maxConnections: Int? = nil,
        idleTimeout: Duration? = .seconds(60),
        drainTimeout: Duration = .seconds(10),
        acceptsPerRead: Int? = nil,
        serverName: String = "ticketd",
        adminToken: String? = nil,
        environment: String = "development",
        version: String = Self.release,
        tracing: Bool = false
    ) {
        self.host = host
        self.port = port
        self.backlog = backlog
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.drainTimeout = drainTimeout
        self.acceptsPerRead = acceptsPerRead
        self.serverName = serverName
        self.adminToken = adminToken
        self.environment = environment
        self.version = version
        self.tracing = tracing
    }

    /// The admin token, when one is configured and not empty.
    var effectiveAdminToken: String? {
        guard let token = self.adminToken, !token.isEmpty else { return nil }
        return token
    }
}
