import Configuration

extension AppConfiguration {
    /// Reads the configuration from `reader`, using the defaults of ``init(host:port:backlog:maxConnections:idleTimeout:drainTimeout:acceptsPerRead:serverName:adminToken:environment:version:tracing:)``
    /// for missing keys.
    ///
    /// Configuration keys (environment variable names as `EnvironmentVariablesProvider` maps them: components joined
    /// by `_`, upper-cased, camelCase split):
    /// - `host` (`HOST`, string, default `"0.0.0.0"`): the address to bind to.
    /// - `port` (`PORT`, int, default `3049`): the port to listen on.
    /// - `http.backlog` (`HTTP_BACKLOG`, int, default `4096`): the listen backlog.
    /// - `http.maxConnections` (`HTTP_MAX_CONNECTIONS`, int, default none): the most connections held open at
    ///   once; `ticketd serve` derives one from the open-files limit when this is not set.
    /// - `http.idleTimeoutSeconds` (`HTTP_IDLE_TIMEOUT_SECONDS`, double, default `60`): how long a connection may go
    ///   without sending a request part, or reading its answers, before it is closed; `0`: never.
    /// - `http.drainTimeoutSeconds` (`HTTP_DRAIN_TIMEOUT_SECONDS`, double, default `10`): how long, once a stop
    ///   begins, a connection may go on finishing its request.
    /// - `http.serverName` (`HTTP_SERVER_NAME`, string, default `"ticketd"`): the `Server` header.
    /// - `admin.token` (`ADMIN_TOKEN`, string, secret, default none): the bearer token of the `/admin/` routes;
    ///   without it (or when empty) those routes are not registered.
    /// - `app.env` (`APP_ENV`, string, default `"development"`): the environment name.
    /// - `app.version` (`APP_VERSION`, string, default ``AppConfiguration/release``): the version reported by `/health` and `/metrics`.
    ///
    /// - Parameter reader: The reader to read from, not scoped (keys are read as listed).
    public init(reader: ConfigReader) {
        let defaults = AppConfiguration()
        self.init(
            host: reader.string(forKey: "host", default: defaults.host),
            port: reader.int(forKey: "port", default: defaults.port),
            backlog: reader.int(forKey: "http.backlog", default: defaults.backlog),
            maxConnections: reader.int(forKey: "http.maxConnections"),
            idleTimeout: reader.double(forKey: "http.idleTimeoutSeconds").map { $0 > 0 ? .seconds($0) : nil } ?? defaults.idleTimeout,
            drainTimeout: reader.double(forKey: "http.drainTimeoutSeconds").map { .seconds($0) } ?? defaults.drainTimeout,
            serverName: reader.string(forKey: "http.serverName", default: defaults.serverName),
            adminToken: reader.string(forKey: "admin.token", isSecret: true),
            environment: reader.string(forKey: "app.env", default: defaults.environment),
            version: reader.string(forKey: "app.version", default: defaults.version)
        )
    }
}
