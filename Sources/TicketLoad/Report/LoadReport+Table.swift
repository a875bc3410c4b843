import Foundation

extension LoadReport {
    /// Findings listed in the table; the JSON report has them all.
    static let findingsShown = 20

    /// The final table: what was sent, how fast, how it went, and the audit's verdict.
    public func table() -> String {
        var lines: [String] = []
        func row(_ name: String, _ value: String) { lines.append("  " + name.padding(toLength: 14, withPad: " ", startingAt: 0) + value) }
        lines.append("ticket-load \(self.url): \(self.eventsLabel), \(self.connections) connections, \(self.mode), \(self.stop)")
        row("elapsed", "\(self.elapsedSeconds.formatted(decimals: 2)) s")
        var requests = "\(self.requestsSent) sent, \(self.responses) answered, \(self.throughput.formatted(decimals: 0)) answers/s"
        if self.requestsUnsent > 0 { requests += ", \(self.requestsUnsent) due but not sent" }
        row("requests", requests)
        row("purchases", "\(self.audit.ticketsSold) (201), \(self.purchasesPerSecond.formatted(decimals: 0)) purchases/s")
        let latency = self.latency
        row(
            "latency ms",
            "p50 \(latency.p50.formatted(decimals: 2))  p90 \(latency.p90.formatted(decimals: 2))  p99 \(latency.p99.formatted(decimals: 2))  "
                + "p99.9 \(latency.p999.formatted(decimals: 2))  max \(latency.max.formatted(decimals: 2))"
        )
        let statuses = self.statusCounts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "  ")
        row("status", statuses.isEmpty ? "none" : statuses)
        row("errors", "connect \(self.errors.connect)  read \(self.errors.read)  timeout \(self.errors.timeout)")
        row(
            "connections",
            "\(self.connections) asked, \(self.connectedBeforeStart) open at the start (after \(self.connectSeconds.formatted(decimals: 2)) s), "
                + "\(self.peakOpenConnections) at peak, \(self.connectionsOpened) opened in all"
        )
        lines.append("audit")
        row(
            "tickets",
            "\(self.audit.ticketsSold) sold, \(self.audit.distinctTickets) distinct, \(self.audit.duplicates.count) sold more than once"
        )
        if self.audit.replays > 0 {
            row("replays", "\(self.audit.replays) repeated keys, \(self.audit.replaysReturningOriginal) answered with the original purchase")
        }
        for event in self.audit.events {
            row(
                "event \(event.event)",
                "tester saw \(event.soldSeen) sold, service counts \(event.soldByServer) "
                    + "(sold \(event.before.sold) -> \(event.after.sold) of \(event.after.capacity), \(event.after.available) left)"
            )
        }
        if let redis = self.audit.redis {
            if redis.unreadable {
                row("redis", "ticketd audit made no verdict: it could not read the books")
            } else {
                let sold = redis.soldByEvent.filter { self.events.contains($0.key) }.sorted { $0.key < $1.key }
                let verdict = redis.passed ? "passed (the books balance and record every 201 as answered)" : "FAILED"
                let counts = sold.isEmpty ? "none of the events tested" : sold.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                row("redis", "ticketd audit \(verdict); sold \(counts)")
            }
        } else {
            row("redis", "not checked (no ticketd binary found, or --skip-redis-audit); pass --ticketd PATH with REDIS_URL set")
        }
        if self.passed {
            lines.append("verdict: PASS, no ticket sold twice")
        } else {
            lines.append("verdict: FAIL, \(self.audit.findings.count) findings")
            for finding in self.audit.findings.prefix(Self.findingsShown) { lines.append("  - \(finding)") }
            if self.audit.findings.count > Self.findingsShown {
                lines.append("  ... and \(self.audit.findings.count - Self.findingsShown) more (--json has them all)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
