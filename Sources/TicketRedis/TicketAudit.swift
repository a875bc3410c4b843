import RESPClient
import TicketCore

/// Checks one event's books against each other: the pool, the ledger, the per-user counts and the capacity; of a
/// striped event, each stripe's, and that every ticket is in its own stripe and no purchase id in two.
///
/// Reads the pool and the escrows in one step (`audit-stock.lua`), so a running instance's escrow top-ups never
/// show as mismatches, and then the ledger with `HSCAN` in chunks: it is meant for a quiet moment (after a load
/// test, before opening sales), since purchases during the audit can show up as transient mismatches.
struct TicketAudit {
    let client: RedisClient
    let event: EventID
    /// What buyers were told of this event's purchases, each checked against the ledger.
    var answers: [AnsweredPurchase] = []
    /// Every key of every event, when scanned: escrow lists among them that the event's set of escrows does not
    /// register are reported (the audit reads the registered ones only, and an instance of that id could sell the
    /// tickets of one).
    var scannedKeys: Set<String> = []

    /// Problems listed per kind before the rest are only counted.
    private static let listed = 5

    /// One stripe's books: its figures, what is wrong in it, and where its tickets are.
    private struct StripeBooks {
        var stripe: EventStripe
        var audit: AuditReport.EventAudit
        /// The ledger: purchase id → ticket.
        var ledger: [String: String]
        /// The tickets in the pool.
        var pool: Set<String>
        /// The escrowed tickets → the instance holding each.
        var escrowed: [String: String]
    }

    func run() async throws(TicketStoreError) -> AuditReport.EventAudit {
        // A key of the wrong type is broken books, not books that cannot be read: every read of it would fail
        // with WRONGTYPE, which ended the audit as if Redis were unreachable (exit status 69).
        let misshapen = try await self.misshapenKeys(of: EventStripe(eventID: self.event, index: 0))
        guard misshapen.isEmpty else {
            return AuditReport.EventAudit(eventID: self.event, seeded: 0, available: 0, escrowed: 0, sold: 0, problems: misshapen)
        }
        let stripeCount: Int?
        do {
            stripeCount = try await StripeCounts.fetch(self.event, from: self.client)
        } catch {
            throw TicketStoreError("auditing event \(self.event): reading its description failed: \(error.message)")
        }
        let stripes = EventStripe.all(of: self.event, count: stripeCount ?? 1)
        var capacities: [Int] = []
        for stripe in stripes {
            capacities.append(Int(try await self.command("HGET", .string(EventKeys(stripe).meta), "capacity").integer ?? -1))
        }
        let seeded = capacities.filter { $0 >= 0 }.reduce(0, +)
        var total = AuditReport.EventAudit(eventID: self.event, seeded: seeded, available: 0, escrowed: 0, sold: 0, problems: [])
        var buyers: [String: Int] = [:]
        var boughtTwice: [String] = []
        var books: [StripeBooks] = []
        for (stripe, capacity) in zip(stripes, capacities) {
            if stripe.index > 0 {
                let misshapen = try await self.misshapenKeys(of: stripe)
                guard misshapen.isEmpty else {
                    total.problems += misshapen.map { "stripe \(stripe.index): \($0)" }
                    continue
                }
            }
            let stripeBooks = try await self.run(stripe, of: stripes.count, capacity: capacity, eventCapacity: seeded)
            total.available += stripeBooks.audit.available
            total.escrowed += stripeBooks.audit.escrowed
            total.sold += stripeBooks.audit.sold
            total.problems += stripeBooks.audit.problems.map { stripes.count > 1 ? "stripe \(stripe.index): \($0)" : $0 }
            for purchase in stripeBooks.ledger.keys {
                if let other = buyers.updateValue(stripe.index, forKey: purchase) {
                    boughtTwice.append("\(purchase) (stripes \(other) and \(stripe.index))")
                }
            }
            books.append(stripeBooks)
        }
        Self.report(boughtTwice, "purchase ids in the ledgers of two stripes", into: &total.problems)
        if books.count > 1 {
            // Each stripe's audit finds a ticket sold twice in its own ledger; one sold in two stripes' ledgers is
            // found here (it was reported only as outside one of them).
            var soldIn: [String: Int] = [:]
            var soldTwice: [String] = []
            for stripeBooks in books {
                let index = stripeBooks.stripe.index
                for ticket in Set(stripeBooks.ledger.values) where !ticket.isEmpty {
                    if let other = soldIn.updateValue(index, forKey: ticket) { soldTwice.append("\(ticket) (stripes \(other) and \(index))") }
                }
            }
            Self.report(soldTwice.sorted(), "tickets sold in the ledgers of two stripes", into: &total.problems)
        }
        Self.report(try await self.unrecorded(self.answers, in: books), "answers the ledger does not bear out", into: &total.problems)
        return total
    }

    /// The answers that disagree with the books, one line each. An answer agrees when the ledger records its
    /// purchase with its ticket, or when its purchase is not in the ledger yet and its ticket is in an escrow: a
    /// sale from escrow during an outage is recorded when its instance settles it. A purchase missing from the
    /// ledger as read is looked up again: settled between the ledger's read and the escrows', it is in neither.
    private func unrecorded(_ answers: [AnsweredPurchase], in books: [StripeBooks]) async throws(TicketStoreError) -> [String] {
        guard !answers.isEmpty else { return [] }
        var ledger: [String: String] = [:]
        var sold: [String: String] = [:]
        for stripe in books {
            ledger.merge(stripe.ledger) { first, _ in first }
            for (purchase, ticket) in stripe.ledger { sold[ticket] = purchase }
        }
        var found: [String] = []
        var missing: [AnsweredPurchase] = []
        // A ticket told to two purchases was sold twice, whatever the books say (two escrow sales not settled yet
        // would each pass alone).
        var toldTo: [String: String] = [:]
        for answer in answers {
            if let other = toldTo.updateValue(answer.purchaseID, forKey: answer.ticketID), other != answer.purchaseID {
                found.append("ticket \(answer.ticketID) was answered to purchases \(other) and \(answer.purchaseID)")
            }
        }
        for answer in answers {
            let purchase = answer.purchaseID
            let ticket = answer.ticketID
            if let recorded = ledger[purchase] {
                if recorded != ticket { found.append(Self.mismatch(answer, recorded: recorded)) }
            } else if let owner = sold[ticket] {
                found.append("ticket \(ticket) was answered to purchase \(purchase), the ledger sold it to \(owner)")
            } else if books.contains(where: { $0.pool.contains(ticket) }) {
                found.append("ticket \(ticket) was answered to purchase \(purchase) and is still in the pool")
            } else if !books.contains(where: { $0.escrowed[ticket] != nil }) {
                missing.append(answer)
            }
        }
        guard !missing.isEmpty else { return found }
        let stripes = books.map { EventKeys($0.stripe).purchases }
        let lookups = missing.flatMap { answer in stripes.map { RESPCommand("HGET", .string($0), .string(answer.purchaseID)) } }
        let replies: [Result<RESPValue, RedisError>]
        do {
            replies = try await self.client.pipeline(lookups, options: RedisCommandOptions(timeout: .seconds(30), idempotent: true))
        } catch {
            throw TicketStoreError("auditing event \(self.event): looking purchases up failed: \(error.message)")
        }
        for (index, answer) in missing.enumerated() {
            let records = replies[(index * stripes.count)..<((index + 1) * stripes.count)].compactMap { try? $0.get().string }
            let tickets = records.compactMap { LedgerRecord.parse($0)?.ticket }
            if tickets.contains(answer.ticketID) { continue }
            let unrecorded = "purchase \(answer.purchaseID) (ticket \(answer.ticketID)) is not in the ledger"
            found.append(tickets.first.map { Self.mismatch(answer, recorded: $0) } ?? unrecorded)
        }
        return found
    }

    private static func mismatch(_ answer: AnsweredPurchase, recorded: String) -> String {
        "purchase \(answer.purchaseID) was answered ticket \(answer.ticketID), the ledger has ticket \(recorded)"
    }

    /// Audits one stripe of `count` (the event itself when `count` is 1) whose capacity is `capacity` (-1: none
    /// recorded), of an event of `eventCapacity` tickets.
    private func run(_ stripe: EventStripe, of count: Int, capacity: Int, eventCapacity: Int) async throws(TicketStoreError) -> StripeBooks {
        let keys = EventKeys(stripe)
        var problems: [String] = []
        if capacity < 0 { problems.append("the event has no capacity in \(keys.meta)") }
        problems += try await self.misdescribed(keys)

        // The ledger, first: every record readable, every ticket sold once.
        var sold: [String: String] = [:]
        var soldTwice: [String] = []
        var unreadable: [String] = []
        var perUser: [String: Int] = [:]
        var ledger: [String: String] = [:]
        var cursor = "0"
        repeat {
            let reply = try await self.command("HSCAN", .string(keys.purchases), .string(cursor), "COUNT", .integer(1000)).array ?? []
            guard reply.count == 2, let next = reply[0].string, let entries = reply[1].array else {
                throw TicketStoreError("unexpected HSCAN reply while auditing event \(self.event)")
            }
            cursor = next
            var index = 0
            while index + 1 < entries.count {
                let purchase = entries[index].string ?? "?"
                let record = entries[index + 1].string ?? ""
                index += 2
                guard let (ticket, user, _) = LedgerRecord.parse(record) else {
                    unreadable.append("\(purchase) = \(record)")
                    ledger[purchase] = ""
                    continue
                }
                ledger[purchase] = ticket
                if let earlier = sold.updateValue(purchase, forKey: ticket) { soldTwice.append("\(ticket) (purchases \(earlier) and \(purchase))") }
                if let user { perUser[user.rawValue, default: 0] += 1 }
            }
        } while cursor != "0"
        // Then the pool, the escrows and the ledger's size, in one step: a running instance moves tickets between them.
        let scannedEscrows = self.scannedKeys.compactMap { keys.escrowInstance(ofKey: $0) }.sorted()
        let stock: [RESPValue]
        do {
            stock =
                try await self.client.evalScript(
                    TicketScripts.auditStock,
                    keys: [.string(keys.tickets), .string(keys.escrows), .string(keys.purchases), .string(keys.users)],
                    arguments: [.string(keys.escrowPrefix)] + scannedEscrows.map { .string($0) },
                    options: RedisCommandOptions(timeout: .seconds(30), idempotent: true)
                ).array ?? []
        } catch {
            throw TicketStoreError("auditing event \(self.event): reading the pool and escrows failed: \(error.message)")
        }

        // The pool: every ticket once.
        var pool: Set<String> = []
        var poolDuplicates: [String] = []
        let soldCount = Int(stock.first?.integer ?? 0)
        let counts = stock.count > 1 ? stock[1].array ?? [] : []
        for ticket in (stock.count > 2 ? stock[2].array ?? [] : []).compactMap(\.string) where !pool.insert(ticket).inserted {
            poolDuplicates.append(ticket)
        }
        Self.report(poolDuplicates, "tickets appear more than once in the pool", into: &problems)

        // The escrows: every ticket in one of them only, and not in the pool.
        var escrowed: [String: String] = [:]
        var misplaced: [String] = []
        var position = 4
        while position + 1 < stock.count {
            let instance = stock[position].string ?? "?"
            let tickets = stock[position + 1].array ?? []
            position += 2
            guard InstanceID(instance) != nil else {
                problems.append("an escrow of an invalid instance id \(instance)")
                continue
            }
            for ticket in tickets.compactMap(\.string) {
                if pool.contains(ticket) {
                    misplaced.append("\(ticket) (pool and escrow of \(instance))")
                } else if let other = escrowed.updateValue(instance, forKey: ticket) {
                    misplaced.append("\(ticket) (escrows of \(other) and \(instance))")
                }
            }
        }
        Self.report(misplaced, "escrowed tickets in more than one place", into: &problems)
        let unregistered = (stock.count > 3 ? stock[3].array ?? [] : []).compactMap(\.string).map { keys.escrowPrefix + $0 }
        Self.report(unregistered, "escrow lists that \(keys.escrows) does not register", into: &problems)

        // None of the tickets sold is still unsold.
        var soldAndAvailable: [String] = []
        for ticket in sold.keys {
            if pool.contains(ticket) { soldAndAvailable.append(ticket) }
            if let instance = escrowed[ticket] { soldAndAvailable.append("\(ticket) (escrow of \(instance))") }
        }
        soldAndAvailable.sort()
        Self.report(soldTwice, "tickets sold more than once", into: &problems)
        Self.report(soldAndAvailable, "tickets both sold and available", into: &problems)
        Self.report(unreadable, "unreadable ledger records", into: &problems)

        if capacity >= 0 {
            let accounted = pool.count + poolDuplicates.count + escrowed.count + soldCount
            if accounted != capacity {
                problems.append(
                    "seeded \(capacity) ≠ available \(pool.count + poolDuplicates.count) + escrowed \(escrowed.count) + sold \(soldCount)"
                )
            }
            // A ticket is outside when it is no number of the event, or one that another stripe holds. A number is
            // written as seeding writes it: `03` or `+3` would be a second copy of seat 3 that no check by string
            // sees (black-box testing sold `03` beside `3`, and the audit passed).
            let present = pool.union(sold.keys).union(escrowed.keys)
            let outside = present.filter { ticket in
                guard let number = Self.ticketNumber(ticket), (1...max(eventCapacity, 1)).contains(number) else { return true }
                return EventStripe.holding(ticket: ticket, of: self.event, stripes: count).index != stripe.index
            }
            let place = count > 1 ? "this stripe's tickets of 1…\(eventCapacity)" : "1…\(capacity)"
            Self.report(outside.sorted(), "ticket ids outside \(place)", into: &problems)
            // Only when the counts fall short or tickets outside take the place of others: a sale made between the
            // ledger's read and the pool's is in neither set (the ledger's size, read with the pool, counts it).
            if capacity > accounted || !outside.isEmpty {
                Self.reportLost(
                    present: present,
                    stripe: stripe,
                    of: count,
                    eventCapacity: eventCapacity,
                    into: &problems
                )
            }
        }

        // Per-user counts agree with the ledger; they are kept only for an event with a per-user limit. The counts
        // were read with the ledger's size, after the ledger: a count above the ledger as read is a sale made in
        // between, as long as such excesses add up to no more than the sales made in between.
        let limit = try await self.command("HGET", .string(keys.meta), "perUserLimit").integer ?? 0
        if limit > 0 {
            let over = perUser.filter { $0.value > limit }.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }
            Self.report(over, "buyers over the per-user limit of \(limit) in the ledger", into: &problems)
        } else {
            perUser = [:]
        }
        var recorded: [String: Int] = [:]
        var index = 0
        while index + 1 < counts.count {
            recorded[counts[index].string ?? "?"] = Int(counts[index + 1].integer ?? -1)
            index += 2
        }
        // Without a description the limit is unknown, and so is whether counts were kept: the missing description
        // is the problem, already reported (comparing named every buyer's ledger count as 0).
        var disagreeing: Set<String> = capacity < 0 ? [] : Set(recorded.keys).union(perUser.keys).filter { recorded[$0] != perUser[$0] }
        let ahead = disagreeing.filter { (recorded[$0] ?? 0) > perUser[$0] ?? 0 }
        let salesSinceTheLedgerWasRead = soldCount - ledger.count
        if ahead.reduce(0, { $0 + (recorded[$1] ?? 0) - (perUser[$1] ?? 0) }) <= salesSinceTheLedgerWasRead {
            disagreeing.subtract(ahead)
        }
        Self.report(
            disagreeing.sorted().map { "\($0) (count \(recorded[$0] ?? 0), ledger \(perUser[$0] ?? 0))" },
            "per-user counts that disagree with the ledger",
            into: &problems
        )

        let audit = AuditReport.EventAudit(
            eventID: self.event,
            seeded: max(capacity, 0),
            available: pool.count + poolDuplicates.count,
            escrowed: escrowed.count,
            sold: soldCount,
            problems: problems
        )
        return StripeBooks(stripe: stripe, audit: audit, ledger: ledger, pool: pool, escrowed: escrowed)
    }

    /// The keys of `stripe` that hold another type of value than the books keep in them, one problem each.
    private func misshapenKeys(of stripe: EventStripe) async throws(TicketStoreError) -> [String] {
        let keys = EventKeys(stripe)
        let books = [(keys.tickets, "list"), (keys.purchases, "hash"), (keys.users, "hash"), (keys.meta, "hash"), (keys.escrows, "set")]
        let problems = try await self.wrongTypes(books)
        guard problems.isEmpty else { return problems }
        // The escrow lists the event's set registers, which the audit reads as lists too.
        let instances = try await self.command("SMEMBERS", .string(keys.escrows)).array?.compactMap(\.string) ?? []
        return try await self.wrongTypes(instances.map { (keys.escrowPrefix + $0, "list") })
    }

    /// One problem for each of `expected`'s keys that exists and holds another type than its own, asked in one
    /// pipeline.
    private func wrongTypes(_ expected: [(key: String, type: String)]) async throws(TicketStoreError) -> [String] {
        guard !expected.isEmpty else { return [] }
        let replies: [Result<RESPValue, RedisError>]
        do {
            replies = try await self.client.pipeline(
                expected.map { RESPCommand("TYPE", .string($0.key)) },
                options: RedisCommandOptions(timeout: .seconds(30), idempotent: true)
            )
        } catch {
            throw TicketStoreError("auditing event \(self.event): TYPE failed: \(error.message)")
        }
        var problems: [String] = []
        for ((key, type), reply) in zip(expected, replies) {
            let found: String
            do {
                found = try reply.get().string ?? "?"
            } catch {
                throw TicketStoreError("auditing event \(self.event): TYPE failed: \(error.message)")
            }
            if found != type, found != "none" { problems.append("\(key) holds a \(found), not a \(type): the books cannot be checked") }
        }
        return problems
    }

    /// The seat number a ticket id names, when it is written as seeding writes numbers (no sign, no leading zero).
    private static func ticketNumber(_ ticket: String) -> Int? {
        guard let number = Int(ticket), String(number) == ticket else { return nil }
        return number
    }

    /// Reports the tickets of the stripe that are in no place at all (pool, escrow or ledger): "seeded ≠ available
    /// + escrowed + sold" says that some are lost, this says which. Costs a pass over the event's numbers.
    private static func reportLost(
        present: Set<String>,
        stripe: EventStripe,
        of count: Int,
        eventCapacity: Int,
        into problems: inout [String]
    ) {
        guard eventCapacity > 0 else { return }
        var lost: [String] = []
        var lostCount = 0
        for number in 1...eventCapacity {
            let ticket = String(number)
            guard !present.contains(ticket), EventStripe.holding(ticket: ticket, of: stripe.eventID, stripes: count) == stripe else { continue }
            lostCount += 1
            if lost.count < Self.listed { lost.append(ticket) }
        }
        guard lostCount > 0 else { return }
        let more = lostCount > lost.count ? " and \(lostCount - lost.count) more" : ""
        problems.append("\(lostCount) tickets in no place (not in the pool, an escrow or the ledger): \(lost.joined(separator: ", "))\(more)")
    }

    /// The numbers of the description at `keys` that are set but not as seeding writes them, a whole number in range,
    /// one line each: a per-user limit of `abc` passed the audit, and every named buyer's purchase failed in the
    /// purchase script (black-box testing).
    private func misdescribed(_ keys: EventKeys) async throws(TicketStoreError) -> [String] {
        let fields: [(name: String, minimum: Int)] = [("capacity", 0), ("perUserLimit", 0), ("stripes", 1)]
        let values = try await self.command("HMGET", .string(keys.meta), "capacity", "perUserLimit", "stripes").array ?? []
        return zip(fields, values).compactMap { field, value in
            guard let text = value.string, Int(text).map({ $0 < field.minimum }) ?? true else { return nil }
            return "\(keys.meta) has \(field.name) \"\(text)\", not a whole number of at least \(field.minimum)"
        }
    }

    private func command(_ name: String, _ arguments: RESPArgument...) async throws(TicketStoreError) -> RESPValue {
        do {
            return try await self.client.execute(RESPCommand(name, arguments), options: RedisCommandOptions(timeout: .seconds(30), idempotent: true))
        } catch {
            throw TicketStoreError("auditing event \(self.event): \(name) failed: \(error.message)")
        }
    }

    private static func report(_ items: [String], _ what: String, into problems: inout [String]) {
        guard !items.isEmpty else { return }
        let shown = items.prefix(Self.listed).joined(separator: ", ")
        let more = items.count > Self.listed ? " and \(items.count - Self.listed) more" : ""
        problems.append("\(items.count) \(what): \(shown)\(more)")
    }
}
