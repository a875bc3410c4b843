import NIOCore
import NIOPosix

/// Everything a ``RedisClient`` needs to know; every value but the endpoint has a default.
public struct RedisClientConfiguration: Sendable {
    /// How each connection is opened and behaves.
    public var connection: RedisConnectionConfiguration
    /// How many multiplexed connections the client keeps open. Defaults to one per event loop of the group.
    public var connectionCount: Int
    /// How long a command may take by default, from the call to the reply (``RedisCommandOptions/timeout``).
    public var commandTimeout: Duration
    /// The delay between reconnect attempts.
    public var backoff: Backoff
    /// Consecutive failed connect attempts, with no connection up, after which commands fail fast.
    public var circuitFailureThreshold: Int
    /// How long a graceful shutdown waits for commands in flight before closing the connections anyway.
    public var shutdownTimeout: Duration
    /// The event loops the connections run on.
    public var eventLoopGroup: any EventLoopGroup
    /// Cluster mode when set: the client finds the primaries from these seeds and keeps ``connectionCount``
    /// connections to each, configured like ``connection`` but for that node. `nil` (the default) talks to the
    /// one server of ``connection``.
    public var cluster: RedisClusterOptions?

    /// Creates a configuration.
    public init(
        connection: RedisConnectionConfiguration,
        connectionCount: Int? = nil,
        commandTimeout: Duration = .seconds(1),
        backoff: Backoff = Backoff(),
        circuitFailureThreshold: Int = 1,
        shutdownTimeout: Duration = .seconds(5),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        cluster: RedisClusterOptions? = nil
    ) {
        precondition(circuitFailureThreshold > 0, "circuitFailureThreshold must be positive")
        self.connection = connection
        self.connectionCount = max(1, connectionCount ?? Self.eventLoopCount(eventLoopGroup))
        self.commandTimeout = commandTimeout
        self.backoff = backoff
        self.circuitFailureThreshold = circuitFailureThreshold
        self.shutdownTimeout = shutdownTimeout
        self.eventLoopGroup = eventLoopGroup
        self.cluster = cluster
    }

    /// A configuration for the server at `url` (`redis://[[user]:password@]host[:port][/db]`), or for the cluster
    /// whose seed nodes `url` lists (`redis+cluster://[[user]:password@]host:port[,host:port…]`), with defaults
    /// for everything else.
    /// - Throws: ``RedisURLError`` when the URL cannot be read.
    public init(url: String) throws(RedisURLError) {
        if let seeds = try RedisEndpoint.clusterSeeds(url: url) {
            self.init(connection: RedisConnectionConfiguration(endpoint: seeds[0]), cluster: RedisClusterOptions(seeds: seeds))
        } else {
            self.init(connection: RedisConnectionConfiguration(endpoint: try RedisEndpoint(url: url)))
        }
    }

    private static func eventLoopCount(_ group: any EventLoopGroup) -> Int {
        var count = 0
        for _ in group.makeIterator() { count += 1 }
        return count
    }
}
