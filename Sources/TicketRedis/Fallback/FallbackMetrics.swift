import Metrics
import TicketCore

/// The fallback's metrics, through the process's `MetricsSystem`:
/// `ticketd_fallback_active`, `ticketd_fallback_sales_total`, `ticketd_fallback_escrow_tickets{event}`,
/// `ticketd_fallback_journal_backlog` and `ticketd_fallback_settle_conflicts_total`.
struct FallbackMetrics: Sendable {
    private let active = Gauge(label: "ticketd_fallback_active")
    private let sales = Counter(label: "ticketd_fallback_sales_total")
    private let backlog = Gauge(label: "ticketd_fallback_journal_backlog")
    private let conflicts = Counter(label: "ticketd_fallback_settle_conflicts_total")

    /// Counts one sale from escrow.
    func recordSale() { self.sales.increment() }

    /// Counts settled sales that Redis disagreed with.
    func recordConflicts(_ count: Int) {
        if count > 0 { self.conflicts.increment(by: count) }
    }

    /// Sets the gauges from `status`.
    func update(_ status: FallbackStatus) {
        self.active.record(status.mode == .fallback ? 1 : 0)
        self.backlog.record(status.journalBacklog)
        for (event, tickets) in status.escrow {
            Gauge(label: "ticketd_fallback_escrow_tickets", dimensions: [("event", event)]).record(tickets)
        }
    }
}
