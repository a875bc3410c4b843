/// Per-call options for ``RedisCommandExecutor/execute(_:options:)``.
public struct RedisCommandOptions: Sendable, Hashable {
    /// How long the call may take in all, including the wait for a connection and any retry; `nil` takes the
    /// client's ``RedisClientConfiguration/commandTimeout``.
    public var timeout: Duration?
    /// Whether running the command twice is harmless. Only idempotent commands are retried after an unknown
    /// outcome (a connection lost after writing); every command is retried when it certainly was not sent.
    public var idempotent: Bool

    /// Creates options.
    public init(timeout: Duration? = nil, idempotent: Bool = false) {
        self.timeout = timeout
        self.idempotent = idempotent
    }
}
