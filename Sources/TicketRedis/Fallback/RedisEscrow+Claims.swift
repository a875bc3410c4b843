import RESPClient
import TicketCore

extension RedisEscrow {
    /// Claims this instance id for the fallback directory `token`, or renews the claim, unless another directory
    /// holds it (`claim-instance.lua`). A claim not `holding` (no escrow, no unsettled sale) is taken over by
    /// another directory once it is older than `idleLapse`; any other stands until given up or forgotten.
    /// - Returns: `nil` once claimed, else how long ago the other directory last renewed its claim.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func claim(directory token: String, holding: Bool, idleLapse: Duration) async throws(RedisError) -> Duration? {
        let age = try await self.runClaimScript(
            token: token,
            action: "claim",
            arguments: [.string(holding ? "holding" : "idle"), .string(String(Int64(idleLapse / .milliseconds(1))))]
        )
        return age < 0 ? nil : .milliseconds(age)
    }

    /// Gives up this instance id's claim, if the fallback directory `token` holds it, so that another directory
    /// may take the id at once.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func releaseClaim(directory token: String) async throws(RedisError) {
        _ = try await self.runClaimScript(token: token, action: "release", arguments: [])
    }

    /// Forgets `other`'s claim, whichever directory holds it, once its escrow is released: the id is free again.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func forgetClaim(of other: InstanceID) async throws(RedisError) {
        _ = try await self.client.execute(
            RESPCommand("HDEL", .string(EventKeys.instanceClaims), .string(other.rawValue)),
            options: RedisCommandOptions(idempotent: true)
        )
    }

    private func runClaimScript(token: String, action: String, arguments: [RESPArgument]) async throws(RedisError) -> Int64 {
        let reply = try await self.client.evalScript(
            TicketScripts.claimInstance,
            keys: [.string(EventKeys.instanceClaims)],
            arguments: [.string(self.instance.rawValue), .string(token), .string(action)] + arguments,
            options: RedisCommandOptions(idempotent: true)
        )
        guard let age = reply.integer else { throw Self.unexpected(reply, "claim-instance") }
        return age
    }
}
