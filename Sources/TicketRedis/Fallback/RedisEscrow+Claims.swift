import RESPClient
import TicketCore

extension RedisEscrow {
    /// Claims this instance id for the fallback directory `token` and the process `process`, or renews the claim,
    /// unless another directory or process holds it (`claim-instance.lua`). A claim not `holding` (no escrow, no
    /// unsettled sale) is taken over by another directory once it is older than `idleLapse`, any other claim by
    /// another process on the same directory once it is older than `processLapse`.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func claim(
        directory token: String,
        process: String,
        holding: Bool,
        idleLapse: Duration,
        processLapse: Duration
    ) async throws(RedisError) -> InstanceClaim {
        let reply = try await self.runClaimScript(
            token: token,
            action: "claim",
            arguments: [
                .string(holding ? "holding" : "idle"), .string(String(Int64(idleLapse / .milliseconds(1)))), .string(process),
                .string(String(Int64(processLapse / .milliseconds(1)))),
            ]
        )
        switch (reply.first, reply.count > 1 ? reply[1] : nil) {
        case (0, _): return .claimed
        case (1, let age?): return .heldElsewhere(renewedAgo: .milliseconds(age))
        case (2, let age?): return .heldByAnotherProcess(renewedAgo: .milliseconds(age))
        default: throw Self.unexpected(.array(reply.map { .integer($0) }), "claim-instance")
        }
    }

    /// Gives up this instance id's claim, if the fallback directory `token` and the process `process` hold it, so
    /// that another directory may take the id at once.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func releaseClaim(directory token: String, process: String) async throws(RedisError) {
        _ = try await self.runClaimScript(token: token, action: "release", arguments: [.string(""), .string("0"), .string(process), .string("0")])
    }

    /// Forgets `other`'s claim, whichever directory holds it, once its escrow is released: the id is free again.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func forgetClaim(of other: InstanceID) async throws(RedisError) {
        _ = try await self.client.execute(
            RESPCommand("HDEL", .string(EventKeys.instanceClaims), .string(other.rawValue)),
            options: RedisCommandOptions(idempotent: true)
        )
    }

    private func runClaimScript(token: String, action: String, arguments: [RESPArgument]) async throws(RedisError) -> [Int64] {
        let reply = try await self.client.evalScript(
            TicketScripts.claimInstance,
            keys: [.string(EventKeys.instanceClaims)],
            arguments: [.string(self.instance.rawValue), .string(token), .string(action)] + arguments,
            options: RedisCommandOptions(idempotent: true)
        )
        guard let values = reply.array?.compactMap(\.integer), values.count == reply.array?.count, !values.isEmpty else {
            throw Self.unexpected(reply, "claim-instance")
        }
        return values
    }
}
