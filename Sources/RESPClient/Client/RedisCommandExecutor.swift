/// Anything that runs Redis commands: the seam between code that needs Redis and the client that reaches it.
///
/// ``RedisClient`` is one; a cluster client or a test double can be another. Scripts
/// (``evalScript(_:keys:arguments:options:)``) are built on ``execute(_:options:)`` alone.
public protocol RedisCommandExecutor: Sendable {
    /// Runs one command and returns its reply.
    /// - Throws: ``RedisError``; its kind tells whether the command may have run.
    func execute(_ command: RESPCommand, options: RedisCommandOptions) async throws(RedisError) -> RESPValue
}

extension RedisCommandExecutor {
    /// Runs one command with default options.
    public func execute(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        try await self.execute(command, options: RedisCommandOptions())
    }
}
