/// How a ``RedisClient`` in cluster mode finds the cluster and follows it; set as ``RedisClientConfiguration/cluster``.
public struct RedisClusterOptions: Sendable, Hashable {
    /// Nodes asked for the topology (`CLUSTER SHARDS`) at start; any one that answers is enough. Their user
    /// name and password are used for every node; their database must be 0.
    public var seeds: [RedisEndpoint]
    /// The most `MOVED` and `ASK` redirects one command follows before its last redirect is returned as the error.
    public var maxRedirects: Int
    /// The least time between two topology refreshes; refreshes asked for sooner are merged into one.
    public var minimumRefreshInterval: Duration
    /// How often the topology is refreshed when nothing asks for it.
    public var refreshInterval: Duration
    /// The delays between retries of a command answered `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`, `MASTERDOWN` or
    /// `READONLY`, which guarantee it did not run; retries stop at the command's deadline.
    public var retryBackoff: Backoff

    /// Creates cluster options.
    /// - Precondition: `seeds` is not empty.
    public init(
        seeds: [RedisEndpoint],
        maxRedirects: Int = 5,
        minimumRefreshInterval: Duration = .seconds(1),
        refreshInterval: Duration = .seconds(30),
        retryBackoff: Backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(250))
    ) {
        precondition(!seeds.isEmpty, "a cluster needs at least one seed node")
        self.seeds = seeds
        self.maxRedirects = maxRedirects
        self.minimumRefreshInterval = minimumRefreshInterval
        self.refreshInterval = refreshInterval
        self.retryBackoff = retryBackoff
    }
}
