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

    /// Tops the escrow of `event` up to `size` tickets, never leaving fewer than `reserve` in the pool.
    /// - Returns: the whole escrow after the top-up, or `nil` when the event does not exist.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func take(event: EventID, size: Int, reserve: Int) async throws(RedisError) -> EscrowBlock? {
        let keys = EventKeys(event)
        let reply = try await self.client.evalScript(
            TicketScripts.escrowTake,
            keys: [.string(keys.tickets), .string(keys.escrow(self.instance)), .string(keys.escrows), .string(keys.meta)],
            arguments: [.string(self.instance.rawValue), .integer(size), .integer(reserve)],
            // Topping up to a size is idempotent: a repeat takes nothing more and returns the same escrow.
            options: RedisCommandOptions(idempotent: true)
        )
        guard let values = reply.array else { throw Self.unexpected(reply, "escrow-take") }
        guard let limit = values.first?.integer else { return nil }
        return EscrowBlock(eventID: event, perUserLimit: Int(limit), tickets: values.dropFirst().compactMap(\.string))
    }

    /// Gives the escrow of `event` back to the pool. Settle this instance's journal of the event first.
    /// - Returns: how many tickets went back.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    @discardableResult
    public func giveBack(event: EventID) async throws(RedisError) -> Int {
        let span = Self.startSpan("escrow-return.lua", event: event)
        defer { span?.end() }
        let keys = EventKeys(event)
        let reply: RESPValue
        do {
            reply = try await self.client.evalScript(
                TicketScripts.escrowReturn,
                keys: [.string(keys.tickets), .string(keys.escrow(self.instance)), .string(keys.escrows)],
                arguments: [.string(self.instance.rawValue)],
                options: RedisCommandOptions(idempotent: true)
            )
        } catch {
            Self.fail(span, error)
            throw error
        }
        guard let count = reply.integer else { throw Self.fail(span, Self.unexpected(reply, "escrow-return")) }
        span?.attributes[TraceAttribute.escrowTickets] = -Int(count)
        return Int(count)
    }

    /// Records fallback sales of one event in the ledger, idempotently by purchase id; safe to repeat.
    /// - Returns: one outcome per sale, in order.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func settle(event: EventID, sales: [Purchase]) async throws(RedisError) -> [SettleOutcome] {
        guard !sales.isEmpty else { return [] }
        let keys = EventKeys(event)
        var arguments: [RESPArgument] = []
        arguments.reserveCapacity(sales.count * 4)
        for sale in sales {
            arguments.append(.string(sale.purchaseID.rawValue))
            arguments.append(.string(sale.ticketID))
            arguments.append(.string(sale.userID?.rawValue ?? ""))
            arguments.append(.integer(Int(sale.purchasedAt)))
        }
        let span = Self.startSpan("settle.lua", event: event)
        defer { span?.end() }
        span?.attributes[TraceAttribute.settledSales] = sales.count
        let reply: RESPValue
        do {
            reply = try await self.client.evalScript(
                TicketScripts.settle,
                keys: [.string(keys.tickets), .string(keys.purchases), .string(keys.users), .string(keys.meta), .string(keys.escrow(self.instance))],
                arguments: arguments,
                options: RedisCommandOptions(idempotent: true)
            )
        } catch {
            Self.fail(span, error)
            throw error
        }
        let outcomes = (reply.array ?? []).compactMap { $0.integer.flatMap { SettleOutcome(rawValue: Int($0)) } }
        guard outcomes.count == sales.count else { throw Self.fail(span, Self.unexpected(reply, "settle")) }
        span?.attributes[TraceAttribute.settleConflicts] = outcomes.filter(\.isConflict).count
        return outcomes
    }

    private static func unexpected(_ reply: RESPValue, _ script: String) -> RedisError {
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
    /// How many tickets of `event` are in the pool.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func poolSize(event: EventID) async throws(RedisError) -> Int {
        let command = RESPCommand("LLEN", .string(EventKeys(event).tickets))
        let reply = try await self.client.execute(command, options: RedisCommandOptions(idempotent: true))
        return Int(reply.integer ?? 0)
    }

    /// The capacity of `event`, or `nil` when it does not exist.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func capacity(event: EventID) async throws(RedisError) -> Int? {
        let command = RESPCommand("HGET", .string(EventKeys(event).meta), "capacity")
        let reply = try await self.client.execute(command, options: RedisCommandOptions(idempotent: true))
        return reply.string.flatMap { Int($0) }
    }
}
