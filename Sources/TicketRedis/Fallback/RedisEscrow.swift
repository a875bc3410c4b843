import RESPClient
import TicketCore
import Tracing

/// The escrow scripts of one instance: moving tickets between an event's pool and the instance's escrow, and
/// settling the sales the instance made from its escrow while Redis was unreachable.
///
/// Every move is one Lua script, so a ticket is at every moment in exactly one place: the pool, one escrow, or
/// the ledger. Only the instance named `instance` may sell from its escrow.
///
/// Giving back and settling are client spans (`EVALSHA escrow-return.lua`, `EVALSHA settle.lua`) under the caller's
/// span when that span records; the store traces top-ups itself, only those that moved tickets.
public struct RedisEscrow: Sendable {
    let client: RedisClient
    /// The instance whose escrow this is.
    public let instance: InstanceID

    /// Creates the escrow of `instance` on a running client.
    public init(client: RedisClient, instance: InstanceID) {
        self.client = client
        self.instance = instance
    }

    /// Tops the escrow of `event` up to `size` tickets, never leaving fewer than `reserve` in the pool. Of a striped
    /// event, each stripe gives its share of both (see ``EventStripe``).
    /// - Returns: the whole escrow after the top-up, or `nil` when the event does not exist.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func take(event: EventID, size: Int, reserve: Int) async throws(RedisError) -> EscrowBlock? {
        var block: EscrowBlock?
        let stripes = try await self.stripes(of: event)
        for stripe in stripes {
            let keys = EventKeys(stripe)
            let reply = try await self.client.evalScript(
                TicketScripts.escrowTake,
                keys: [
                    .string(keys.tickets), .string(keys.escrow(self.instance)), .string(keys.escrows), .string(keys.meta), .string(keys.resetting),
                ],
                arguments: [
                    .string(self.instance.rawValue),
                    .integer(Self.share(of: size, stripe: stripe, count: stripes.count)),
                    .integer(Self.share(of: reserve, stripe: stripe, count: stripes.count)),
                ],
                // Topping up to a size is idempotent: a repeat takes nothing more and returns the same escrow.
                options: RedisCommandOptions(idempotent: true)
            )
            guard let values = reply.array else { throw Self.unexpected(reply, "escrow-take") }
            // No description: no event (stripe 0), or a stripe a reseed is rebuilding.
            guard let limit = values.first?.integer else {
                if stripe.index == 0 { return nil }
                continue
            }
            let tickets = values.dropFirst().compactMap(\.string)
            if block == nil {
                block = EscrowBlock(eventID: event, perUserLimit: Int(limit), tickets: tickets)
            } else {
                block?.tickets += tickets
            }
        }
        return block
    }

    /// Gives the escrow of `event` (of every stripe of it) back to the pool. Settle this instance's journal of the
    /// event first.
    /// - Returns: how many tickets went back.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    @discardableResult
    public func giveBack(event: EventID) async throws(RedisError) -> Int {
        let span = Self.startSpan("escrow-return.lua", event: event)
        defer { span?.end() }
        var count = 0
        do throws(RedisError) {
            for stripe in try await self.stripes(of: event) {
                let keys = EventKeys(stripe)
                let reply = try await self.client.evalScript(
                    TicketScripts.escrowReturn,
                    keys: [.string(keys.tickets), .string(keys.escrow(self.instance)), .string(keys.escrows)],
                    arguments: [.string(self.instance.rawValue)],
                    options: RedisCommandOptions(idempotent: true)
                )
                guard let returned = reply.integer else { throw Self.unexpected(reply, "escrow-return") }
                count += Int(returned)
            }
        } catch {
            throw Self.fail(span, error)
        }
        span?.attributes[TraceAttribute.escrowTickets] = -count
        return count
    }

    /// Records fallback sales of one event in the ledger, idempotently by purchase id; safe to repeat. Of a striped
    /// event, each sale goes to the stripe its ticket came from.
    /// - Returns: one outcome per sale, in order.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func settle(event: EventID, sales: [Purchase]) async throws(RedisError) -> [SettleOutcome] {
        guard !sales.isEmpty else { return [] }
        let span = Self.startSpan("settle.lua", event: event)
        defer { span?.end() }
        span?.attributes[TraceAttribute.settledSales] = sales.count
        var outcomes = [SettleOutcome](repeating: .alreadySettled, count: sales.count)
        do throws(RedisError) {
            let stripes = try await self.stripes(of: event)
            let positions = Dictionary(grouping: sales.indices) { EventStripe.holding(ticket: sales[$0].ticketID, of: event, stripes: stripes.count) }
            for (stripe, indices) in positions.sorted(by: { $0.key.index < $1.key.index }) {
                let settled = try await self.settle(indices.map { sales[$0] }, on: stripe)
                for (index, outcome) in zip(indices, settled) { outcomes[index] = outcome }
            }
        } catch {
            throw Self.fail(span, error)
        }
        span?.attributes[TraceAttribute.settleConflicts] = outcomes.filter(\.isConflict).count
        return outcomes
    }

    /// `settle.lua` on one stripe, for sales of its tickets.
    private func settle(_ sales: [Purchase], on stripe: EventStripe) async throws(RedisError) -> [SettleOutcome] {
        let keys = EventKeys(stripe)
        var arguments: [RESPArgument] = []
        arguments.reserveCapacity(sales.count * 4)
        for sale in sales {
            arguments.append(.string(sale.purchaseID.rawValue))
            arguments.append(.string(sale.ticketID))
            arguments.append(.string(sale.userID?.rawValue ?? ""))
            arguments.append(.integer(Int(sale.purchasedAt)))
        }
        let reply = try await self.client.evalScript(
            TicketScripts.settle,
            keys: [.string(keys.tickets), .string(keys.purchases), .string(keys.users), .string(keys.meta), .string(keys.escrow(self.instance))],
            arguments: arguments,
            options: RedisCommandOptions(idempotent: true)
        )
        let outcomes = (reply.array ?? []).compactMap { $0.integer.flatMap { SettleOutcome(rawValue: Int($0)) } }
        guard outcomes.count == sales.count else { throw Self.unexpected(reply, "settle") }
        return outcomes
    }

    /// Every stripe of `event`, as its description says (one when it says nothing, or the event does not exist).
    func stripes(of event: EventID) async throws(RedisError) -> [EventStripe] {
        EventStripe.all(of: event, count: try await StripeCounts.fetch(event, from: self.client) ?? 1)
    }

    /// Stripe `stripe`'s part of `total` when it is spread over `count` stripes as evenly as whole tickets allow.
    private static func share(of total: Int, stripe: EventStripe, count: Int) -> Int {
        total / count + (stripe.index < total % count ? 1 : 0)
    }

    static func unexpected(_ reply: RESPValue, _ script: String) -> RedisError {
        RedisError(kind: .serverError, reason: .serverReply, message: "unexpected reply of \(script).lua: \(reply)")
    }

    /// A client span `EVALSHA <script>` for a call about `event`, or `nil` when the caller's span does not record.
    private static func startSpan(_ script: String, event: EventID) -> (any Span)? {
        guard let parent = InstrumentationContext.recordingParent else { return nil }
        let span = InstrumentationSystem.tracer.startSpan("EVALSHA \(script)", context: parent, ofKind: .client)
        span.updateAttributes { attributes in
            attributes["db.system.name"] = "redis"
            attributes["db.operation.name"] = "EVALSHA"
            attributes[TraceAttribute.redisScript] = script
            attributes[TraceAttribute.eventID] = event.rawValue
        }
        return span
    }

    /// Marks `span` failed with `error`, and returns the error to throw.
    @discardableResult
    private static func fail(_ span: (any Span)?, _ error: RedisError) -> RedisError {
        span?.setStatus(SpanStatus(code: .error, message: error.message))
        return error
    }
}

extension RedisEscrow {
    /// The capacity of `event`, the tickets in its pool and whether a reset has recalled its escrows, read in one
    /// pipeline per stripe; `nil` when it does not exist.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func terms(event: EventID) async throws(RedisError) -> EscrowTerms? {
        var capacity: Int?
        var pool = 0
        var recalled = false
        for stripe in try await self.stripes(of: event) {
            let keys = EventKeys(stripe)
            let replies = try await self.client.pipeline(
                [
                    RESPCommand("HGET", .string(keys.meta), "capacity"), RESPCommand("LLEN", .string(keys.tickets)),
                    RESPCommand("EXISTS", .string(keys.resetting)),
                ],
                options: RedisCommandOptions(idempotent: true)
            )
            let values = try replies.map { result throws(RedisError) in try result.get() }
            guard values.count == 3 else { continue }
            pool += Int(values[1].integer ?? 0)
            recalled = recalled || values[2].integer == 1
            if let share = values[0].string.flatMap({ Int($0) }) { capacity = (capacity ?? 0) + share }
        }
        return capacity.map { EscrowTerms(capacity: $0, pool: pool, recalled: recalled) }
    }
}
