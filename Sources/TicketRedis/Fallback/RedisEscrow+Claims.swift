import RESPClient
import TicketCore

extension RedisEscrow {
    /// Claims this instance id for the fallback directory `token`, or renews the claim, unless another directory
    /// renewed its own less than `hold` ago (`claim-instance.lua`).
    /// - Returns: `nil` once claimed, else how long ago the other directory renewed its claim.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func claim(directory token: String, hold: Duration) async throws(RedisError) -> Duration? {
        let age = try await self.runClaimScript(token: token, action: "claim", hold: hold)
        return age < 0 ? nil : .milliseconds(age)
    }

    /// Gives up this instance id's claim, if the fallback directory `token` holds it, so that another directory
    /// may take the id at once.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func releaseClaim(directory token: String) async throws(RedisError) {
        _ = try await self.runClaimScript(token: token, action: "release", hold: .zero)
    }

    private func runClaimScript(token: String, action: String, hold: Duration) async throws(RedisError) -> Int64 {
        let reply = try await self.client.evalScript(
            TicketScripts.claimInstance,
            keys: [.string(EventKeys.instanceClaims)],
            arguments: [
                .string(self.instance.rawValue), .string(token), .string(action), .string(String(Int64(hold / .milliseconds(1)))),
            ],
            options: RedisCommandOptions(idempotent: true)
        )
        guard let age = reply.integer else { throw Self.unexpected(reply, "claim-instance") }
        return age
    }
}
