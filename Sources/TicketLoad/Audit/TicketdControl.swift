/// The `ticketd` commands a run may use beside HTTP: the Redis audit after every run, and reseeding for the
/// `--full` suite. They act on the Redis that the tester's environment names (`REDIS_URL`), which must be the
/// one the service sells from.
public protocol TicketdControl: Sendable {
    /// `ticketd audit --answers`, with `sales`: the books must balance, and record every sale as its buyer was
    /// told of it.
    func audit(checking sales: [SaleRecord]) async throws -> RedisAuditResult
    /// `ticketd seed <events> <tickets> --reset --per-user-limit <limit>`: events `1…events` anew, every sale of
    /// them forgotten.
    func seed(events: Int, tickets: Int, perUserLimit: Int) async throws
}
