import Crypto

/// A Lua script, identified by the SHA-1 of its source, run with `EVALSHA`.
///
/// ```swift
/// let purchase = RedisScript("return redis.call('LPOP', KEYS[1])")
/// let ticket = try await client.evalScript(purchase, keys: ["event:{1}:tickets"])
/// ```
public struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    public let source: String
    /// The lowercase hex SHA-1 of the source, as Redis names the script.
    public let sha1: String

    /// Creates a script and computes its SHA-1 once.
    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
    }
}

extension RedisCommandExecutor {
    /// Runs `script` with `EVALSHA`; if Redis does not have it cached (`NOSCRIPT`, which guarantees it did not
    /// run), sends it once with `EVAL`, which also caches it for the next call. A second `NOSCRIPT` is not retried.
    /// - Parameters:
    ///   - script: The script to run.
    ///   - keys: The keys it touches (`KEYS[1]…`); on a cluster they must share one hash slot.
    ///   - arguments: Its other arguments (`ARGV[1]…`).
    ///   - options: Per-call options; the timeout covers both attempts.
    /// - Throws: ``RedisError``, including the script's own `error_reply` as a server error.
    public func evalScript(
        _ script: RedisScript,
        keys: [RESPArgument] = [],
        arguments: [RESPArgument] = [],
        options: RedisCommandOptions = RedisCommandOptions()
    ) async throws(RedisError) -> RESPValue {
        do {
            return try await self.execute(Self.scriptCommand("EVALSHA", .string(script.sha1), keys, arguments), options: options)
        } catch  where error.serverErrorCode == "NOSCRIPT" {
            RedisScriptMetrics.countNoScript()
            return try await self.execute(Self.scriptCommand("EVAL", .string(script.source), keys, arguments), options: options)
        }
    }

    /// Caches `script` on the server with `SCRIPT LOAD`, so that the first ``evalScript(_:keys:arguments:options:)``
    /// does not pay for `EVAL`. The cache can be emptied later (restart, `SCRIPT FLUSH`); `evalScript` copes.
    /// - Throws: ``RedisError``, also when the server names the script by another SHA-1 than ours.
    public func loadScript(_ script: RedisScript) async throws(RedisError) {
        let reply = try await self.execute(RESPCommand("SCRIPT", "LOAD", .string(script.source)), options: RedisCommandOptions(idempotent: true))
        guard reply.string == script.sha1 else {
            throw RedisError(kind: .serverError, reason: .serverReply, message: "SCRIPT LOAD returned \(reply), expected \(script.sha1)")
        }
    }

    private static func scriptCommand(_ name: String, _ script: RESPArgument, _ keys: [RESPArgument], _ arguments: [RESPArgument]) -> RESPCommand {
        var all: [RESPArgument] = []
        all.reserveCapacity(2 + keys.count + arguments.count)
        all.append(script)
        all.append(.integer(keys.count))
        all.append(contentsOf: keys)
        all.append(contentsOf: arguments)
        return RESPCommand(name, all)
    }
}
