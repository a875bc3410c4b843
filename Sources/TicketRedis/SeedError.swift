import RESPClient
import TicketCore

/// Why ``TicketSeeder`` could not seed.
public enum SeedError: Error, CustomStringConvertible {
    /// Redis failed midway; re-running finishes the job.
    case redis(RedisError)
    /// `event` has books (a ledger, buyers' counts or escrows) but no description (`event:{ID}:meta`): seeding it
    /// anew would sell again the tickets its ledger records as sold, so it was left as it is.
    case booksWithoutDescription(event: EventID)
    /// A reset was refused, with nothing deleted: `instances` still held an escrow of `event` after `waited`.
    case escrowHeld(event: EventID, instances: [String], waited: Duration)

    public var description: String {
        switch self {
        case .redis(let error):
            return "\(error)"
        case .booksWithoutDescription(let event):
            return """
                event \(event) has sales or escrows but no description (\(EventKeys(event).meta)), so it \
                was left as it is: a new pool would sell again the tickets its ledger records as sold. `ticketd audit` \
                reports its books; `seed --reset` starts it over, deleting its sales.
                """
        case .escrowHeld(let event, let instances, let waited):
            return """
                reset of event \(event) refused, nothing deleted: instance(s) \(instances.joined(separator: ", ")) still hold an \
                escrow of it after \(waited). A running instance gives its escrow back within one refresh \
                (FALLBACK_REFRESH_MS) while it reaches Redis; one that crashed gives it back once restarted. Only for \
                an instance stopped for good, POST /admin/escrow/release?instance=ID on a running instance releases it \
                (one merely cut off from Redis keeps selling its escrow). --force resets anyway, and those instances \
                may then sell the escrowed tickets a second time.
                """
        }
    }
}
