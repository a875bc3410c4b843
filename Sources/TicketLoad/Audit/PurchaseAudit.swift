/// The duplicate audit: checks every ticket a run was sold against the others, against the replays, against the
/// service's counts and against Redis's.
///
/// Any finding fails the run. The checks:
/// - every `(event, ticketId)` from a `201` is distinct, and so is every purchase id;
/// - every repeated `Idempotency-Key` got `200` and the original purchase back (a `5xx` is allowed: nothing was
///   done; a `201` or a `4xx` is not);
/// - per event, the service's sold count grew by exactly the number of `201`s seen, or, when some requests
///   ended without an answer (timeouts, lost connections) or with a `503` saying the purchase may have been
///   recorded, by between that and that plus those unknown outcomes (any other `5xx` answer is the service saying
///   nothing was sold, so it does not count as unknown);
/// - per event, capacity = available + sold after the run;
/// - no named buyer was sold more than the event's per-user limit within the run;
/// - `ticketd audit`, when run, passed and counts the same sold tickets per event as the service.
///
/// The counts are only comparable when nobody else buys from the same events during the run.
public struct PurchaseAudit: Sendable, Codable {
    /// Answers with status `201`.
    public var ticketsSold: Int
    /// Distinct `(event, ticketId)` among them.
    public var distinctTickets: Int
    /// Repeated purchases sent and answered.
    public var replays: Int
    /// Of those, the ones answered with the original purchase.
    public var replaysReturningOriginal: Int
    /// Tickets sold more than once.
    public var duplicates: [DuplicateSale]
    /// Each event's books.
    public var events: [EventAudit]
    /// What `ticketd audit` said, when it ran.
    public var redis: RedisAuditResult?
    /// Everything wrong, in words; empty when the run is clean.
    public var findings: [String]

    /// Whether nothing is wrong.
    public var passed: Bool { self.findings.isEmpty }

    /// Audits a run.
    /// - Parameters:
    ///   - tally: What the run counted and kept.
    ///   - before: Each event's counts before the run.
    ///   - after: Each event's counts after the run; an event missing here (the service did not answer) is a finding.
    ///   - redis: What `ticketd audit` said after the run, if it ran.
    public init(tally: RunTally, before: [String: EventCounts], after: [String: EventCounts], redis: RedisAuditResult?) {
        var findings = tally.anomalies
        self.ticketsSold = tally.sales.count

        var purchasesByTicket: [TicketKey: [String]] = [:]
        var ticketsByPurchase: [String: Set<TicketKey>] = [:]
        for sale in tally.sales {
            let key = TicketKey(event: sale.event, ticketId: sale.ticketId)
            purchasesByTicket[key, default: []].append(sale.purchaseId)
            ticketsByPurchase[sale.purchaseId, default: []].insert(key)
        }
        self.distinctTickets = purchasesByTicket.count
        self.duplicates = purchasesByTicket.filter { $0.value.count > 1 }
            .map { DuplicateSale(event: $0.key.event, ticketId: $0.key.ticketId, purchaseIds: $0.value) }
            .sorted { ($0.event, $0.ticketId) < ($1.event, $1.ticketId) }
        findings += self.duplicates.map { "DUPLICATE: \($0)" }
        for (purchase, tickets) in ticketsByPurchase where tickets.count > 1 {
            let names = tickets.map { "\($0.event)/\($0.ticketId)" }.sorted().joined(separator: ", ")
            findings.append("purchase \(purchase) named \(tickets.count) different tickets: \(names)")
        }

        self.replays = tally.replays.count
        self.replaysReturningOriginal = tally.replays.filter(\.returnedOriginal).count
        for replay in tally.replays where !replay.returnedOriginal && replay.status < 500 {
            let original = replay.original
            let sent = "Idempotency-Key \(original.idempotencyKey ?? "?") (event \(original.event), original ticket \(original.ticketId))"
            switch replay.status {
            case 201: findings.append("REPLAY SOLD AGAIN: \(sent) was answered 201 with ticket \(replay.ticketId ?? "?")")
            case 200:
                findings.append(
                    "REPLAY MISMATCH: \(sent) was answered with ticket \(replay.ticketId ?? "?"), purchase \(replay.purchaseId ?? "?") instead of ticket \(original.ticketId), purchase \(original.purchaseId)"
                )
            default: findings.append("REPLAY REFUSED: \(sent) was answered \(replay.status) instead of the original purchase")
            }
        }

        var soldSeen: [String: Int] = [:]
        for sale in tally.sales { soldSeen[sale.event, default: 0] += 1 }
        let unknown = tally.errors.unknownOutcomes + tally.unknownOutcomeAnswers
        self.events = before.keys.sorted().compactMap { event in
            guard let before = before[event], let after = after[event] else { return nil }
            return EventAudit(event: event, soldSeen: soldSeen[event, default: 0], before: before, after: after)
        }
        for event in before.keys.sorted() where after[event] == nil {
            findings.append(
                "COUNTS NOT READ: event \(event): the service did not answer GET /events/\(event) after the run, so its sold count is unchecked"
            )
        }
        let serverErrors = tally.statusCounts.filter { $0.key >= 500 }.values.reduce(0, +) - tally.unknownOutcomeAnswers
        for event in self.events {
            let seen = event.soldSeen
            let server = event.soldByServer
            // A 5xx is documented as "nothing sold", so it does not widen the check; it may explain a gap.
            let hint = server > seen && serverErrors > 0 ? " (\(serverErrors) answers were 5xx: did it sell while answering 503?)" : ""
            if unknown == 0, seen != server {
                findings.append("COUNT MISMATCH: event \(event.event): the tester saw \(seen) tickets sold, the service counts \(server)\(hint)")
            } else if unknown > 0, !(seen...(seen + unknown)).contains(server) {
                findings.append(
                    "COUNT MISMATCH: event \(event.event): the tester saw \(seen) tickets sold and \(unknown) requests of unknown outcome (no answer, a 503 that may have sold, or a proxy's 502 or 504), "
                        + "the service counts \(server)\(hint)"
                )
            }
            let after = event.after
            if after.capacity != after.available + after.sold {
                findings.append("event \(event.event): capacity \(after.capacity) != available \(after.available) + sold \(after.sold)")
            }
        }

        var perBuyer: [BuyerKey: Int] = [:]
        for sale in tally.sales {
            if let user = sale.user { perBuyer[BuyerKey(event: sale.event, user: user), default: 0] += 1 }
        }
        for (buyer, count) in perBuyer.sorted(by: { ($0.key.event, $0.key.user) < ($1.key.event, $1.key.user) }) {
            if let limit = after[buyer.event]?.perUserLimit, limit > 0, count > limit {
                findings.append("USER LIMIT BROKEN: buyer \(buyer.user) got \(count) tickets of event \(buyer.event), the limit is \(limit)")
            }
        }

        self.redis = redis
        if let redis, redis.unreadable {
            findings.append(
                "REDIS AUDIT NOT MADE: `ticketd audit` could not read the books (is REDIS_URL the service's Redis?): \(redis.output.suffix(2000))"
            )
        } else if let redis {
            if !redis.passed { findings.append("REDIS AUDIT FAILED: \(redis.output.suffix(2000))") }
            for event in self.events {
                if let sold = redis.soldByEvent[event.event], sold != event.after.sold {
                    findings.append("COUNT MISMATCH: event \(event.event): Redis counts \(sold) sold, the service \(event.after.sold)")
                } else if redis.soldByEvent[event.event] == nil {
                    findings.append("the Redis audit does not list event \(event.event)")
                }
            }
        }
        self.findings = findings
    }

    private struct TicketKey: Hashable {
        var event: String
        var ticketId: String
    }

    private struct BuyerKey: Hashable {
        var event: String
        var user: String
    }
}
