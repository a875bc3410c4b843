import RESPClient
import TicketCore

extension FallbackTicketStore: FallbackAdministration {
    /// Settles the journal, switches back to Redis if it can and tops the escrow up, now.
    public func seedFallback() async throws(TicketStoreError) -> FallbackStatus {
        guard await self.refreshNow() else {
            let escrow = self.status.escrow.sorted { $0.key < $1.key }.map { "event \($0.key): \($0.value) tickets" }
            let held = escrow.isEmpty ? "none" : escrow.joined(separator: ", ")
            throw TicketStoreError("Redis cannot be reached: the escrow stays as it is (\(held))")
        }
        return self.status
    }

    /// Gives a gone instance's escrow of every event back to the pool when ``EscrowReleasePolicy`` allows it, or
    /// with `force`. This instance's own escrow is never released here: it goes back on graceful shutdown.
    public func releaseEscrow(of instance: InstanceID, force: Bool) async throws(TicketStoreError) -> EscrowRelease {
        let reports: [InstanceID: InstanceReport]
        let clock: (now: Int64, startedAt: Int64)
        let events: [EventID]
        do {
            reports = try await self.escrow.reports()
            clock = try await self.escrow.serverClock()
            events = try await self.redis.eventIDs()
        } catch let error as RedisError {
            throw TicketStoreError("cannot read the instances' reports: \(error.message)")
        } catch {
            throw TicketStoreError("\(error)")
        }
        let report = reports[instance]
        guard instance != self.escrow.instance else {
            return EscrowRelease(
                instanceID: instance,
                released: false,
                forced: false,
                tickets: [:],
                refusal: "this is the instance answering: it gives its escrow back on graceful shutdown",
                lastReport: report
            )
        }
        let (seconds, attoseconds) = self.configuration.goneAfter.components
        let policy = EscrowReleasePolicy(goneAfterMillis: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        let others = reports.filter { $0.key != instance }.map(\.value)
        let refusal = policy.refusal(report: report, others: others, now: clock.now, redisStartedAt: clock.startedAt)
        guard refusal == nil || force else {
            return EscrowRelease(instanceID: instance, released: false, forced: false, tickets: [:], refusal: refusal, lastReport: report)
        }
        var tickets: [String: Int] = [:]
        do {
            for event in events {
                let count = try await self.escrow.release(instance, event: event)
                if count > 0 { tickets[event.rawValue] = count }
            }
            try await self.escrow.forgetReport(of: instance)
            try await self.escrow.forgetClaim(of: instance)
        } catch {
            throw TicketStoreError("the release of \(instance)'s escrow stopped halfway (\(tickets) went back); repeat it: \(error.message)")
        }
        return EscrowRelease(instanceID: instance, released: true, forced: refusal != nil, tickets: tickets, refusal: refusal, lastReport: report)
    }
}
