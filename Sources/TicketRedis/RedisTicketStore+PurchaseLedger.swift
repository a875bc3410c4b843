import RESPClient
import TicketCore

extension RedisTicketStore: PurchaseLedger {
    /// Looks the id up in every event's ledger at once (one pipelined `HGET` per event, or per stripe of a striped
    /// event): a purchase id does not name its event, and the events are few.
    public func purchase(_ id: PurchaseID) async throws(TicketStoreError) -> Purchase? {
        var stripes: [EventStripe] = []
        for event in try await self.eventIDs() {
            stripes += EventStripe.all(of: event, count: try await self.stripeCount(of: event))
        }
        return try await self.purchase(id, in: stripes)
    }

    /// Looks the id up in the ledgers of `stripes` at once, one pipelined `HGET` each.
    func purchase(_ id: PurchaseID, in stripes: [EventStripe]) async throws(TicketStoreError) -> Purchase? {
        guard !stripes.isEmpty else { return nil }
        let lookups = stripes.map { RESPCommand("HGET", .string(EventKeys($0).purchases), .string(id.rawValue)) }
        let replies: [Result<RESPValue, RedisError>]
        do {
            replies = try await self.client.pipeline(lookups, options: RedisCommandOptions(idempotent: true))
        } catch {
            throw TicketStoreError("cannot look up purchase \(id): \(error.message)")
        }
        for (event, reply) in zip(stripes.map(\.eventID), replies) {
            switch reply {
            case .success(let value):
                if let record = value.string {
                    guard let purchase = LedgerRecord.purchase(record, id: id, event: event) else {
                        throw TicketStoreError("unreadable ledger record for purchase \(id) in event \(event): \(record)")
                    }
                    return purchase
                }
            case .failure(let error):
                throw TicketStoreError("cannot look up purchase \(id) in event \(event): \(error.message)")
            }
        }
        return nil
    }

    /// One `HSCAN` of the event's ledger (about a thousand purchases); unreadable records are skipped (the audit
    /// reports them). A striped event's ledgers are read one stripe after another: the cursor of stripe k ≥ 1 is
    /// `k/position`.
    public func purchases(of event: EventID, from cursor: LedgerPage.Cursor) async throws(TicketStoreError) -> LedgerPage {
        let (stripe, position) = Self.stripeAndPosition(cursor, of: event)
        let reply: RESPValue
        do {
            reply = try await self.client.execute(
                RESPCommand("HSCAN", .string(EventKeys(stripe).purchases), .string(position), "COUNT", .integer(Self.ledgerPageSize)),
                options: RedisCommandOptions(idempotent: true)
            )
        } catch {
            throw TicketStoreError("cannot read the ledger of event \(event): \(error.message)")
        }
        guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let entries = parts[1].array else {
            throw TicketStoreError("unexpected HSCAN reply for the ledger of event \(event): \(reply)")
        }
        var purchases: [Purchase] = []
        purchases.reserveCapacity(entries.count / 2)
        var index = 0
        while index + 1 < entries.count {
            if let text = entries[index].string, let id = PurchaseID(text), let record = entries[index + 1].string,
                let purchase = LedgerRecord.purchase(record, id: id, event: event)
            {
                purchases.append(purchase)
            }
            index += 2
        }
        if next != "0" {
            return LedgerPage(purchases: purchases, next: LedgerPage.Cursor(position: stripe.index == 0 ? next : "\(stripe.index)/\(next)"))
        }
        let following = stripe.index + 1
        guard following < (try await self.stripeCount(of: event)) else { return LedgerPage(purchases: purchases, next: nil) }
        return LedgerPage(purchases: purchases, next: LedgerPage.Cursor(position: "\(following)/0"))
    }

    /// The stripe and the `HSCAN` position a cursor of ``purchases(of:from:)`` stands for.
    private static func stripeAndPosition(_ cursor: LedgerPage.Cursor, of event: EventID) -> (EventStripe, String) {
        let parts = cursor.position.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let index = Int(parts[0]), index > 0 else { return (EventStripe(eventID: event, index: 0), cursor.position) }
        return (EventStripe(eventID: event, index: index), String(parts[1]))
    }

    /// The stripe count of `event`, for reads.
    private func stripeCount(of event: EventID) async throws(TicketStoreError) -> Int {
        do {
            return try await self.stripeCounts.count(of: event)
        } catch {
            throw TicketStoreError("cannot read event \(event): \(error.message)")
        }
    }

    /// Purchases asked for per `HSCAN`.
    static let ledgerPageSize = 1000
}
