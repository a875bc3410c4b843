import RESPClient
import TicketCore

extension RedisTicketStore: PurchaseLedger {
    /// Looks the id up in every event's ledger at once (one pipelined `HGET` per event): a purchase id does not
    /// name its event, and the events are few.
    public func purchase(_ id: PurchaseID) async throws(TicketStoreError) -> Purchase? {
        let events = try await self.eventIDs()
        guard !events.isEmpty else { return nil }
        let lookups = events.map { RESPCommand("HGET", .string(EventKeys($0).purchases), .string(id.rawValue)) }
        let replies: [Result<RESPValue, RedisError>]
        do {
            replies = try await self.client.pipeline(lookups, options: RedisCommandOptions(idempotent: true))
        } catch {
            throw TicketStoreError("cannot look up purchase \(id): \(error.message)")
        }
        for (event, reply) in zip(events, replies) {
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
    /// reports them).
    public func purchases(of event: EventID, from cursor: LedgerPage.Cursor) async throws(TicketStoreError) -> LedgerPage {
        let reply: RESPValue
        do {
            reply = try await self.client.execute(
                RESPCommand("HSCAN", .string(EventKeys(event).purchases), .string(cursor.position), "COUNT", .integer(Self.ledgerPageSize)),
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
        return LedgerPage(purchases: purchases, next: next == "0" ? nil : LedgerPage.Cursor(position: next))
    }

    /// Purchases asked for per `HSCAN`.
    static let ledgerPageSize = 1000
}
