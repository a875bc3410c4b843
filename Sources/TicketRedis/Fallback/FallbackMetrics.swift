import Metrics
import Synchronization
import TicketCore

/// The fallback's metrics, through the process's `MetricsSystem`:
/// `ticketd_fallback_active`, `ticketd_fallback_sales_total`, `ticketd_fallback_escrow_tickets{event}`,
/// `ticketd_fallback_journal_backlog`, `ticketd_fallback_settle_conflicts_total` and
/// `ticketd_fallback_escrow_waiting_buyers`.
final class FallbackMetrics: Sendable {
    private let active = Gauge(label: "ticketd_fallback_active")
    private let sales = Counter(label: "ticketd_fallback_sales_total")
    private let backlog = Gauge(label: "ticketd_fallback_journal_backlog")
    private let conflicts = Counter(label: "ticketd_fallback_settle_conflicts_total")
    private let waitingBuyers = Gauge(label: "ticketd_fallback_escrow_waiting_buyers")
    /// The events whose escrow gauge was last set above zero.
    private let eventsInEscrow = Mutex<Set<String>>([])

    init() {
        self.waitingBuyers.record(0)
    }

    /// Sets how many buyers wait for escrows to come back to an empty pool.
    func recordWaitingBuyers(_ count: Int) { self.waitingBuyers.record(count) }

    /// Counts one sale from escrow, and sets the gauges it changed: `/health` and the gauges disagreed until the
    /// next refresh (found by black-box testing).
    func recordSale(of event: EventID, escrowLeft: Int, journalBacklog: Int) {
        self.sales.increment()
        self.backlog.record(journalBacklog)
        Self.escrowGauge(of: event.rawValue).record(escrowLeft)
    }

    /// Counts settled sales that Redis disagreed with.
    func recordConflicts(_ count: Int) {
        if count > 0 { self.conflicts.increment(by: count) }
    }

    /// Sets the gauges from `status`; an event whose escrow is gone (given back, sold, released) drops to zero. The
    /// fallback is active in fallback mode and while Redis takes no writes (`writesRefused`): purchases it refuses
    /// sell from escrow then, though the mode stays with Redis.
    func update(_ status: FallbackStatus, writesRefused: Bool) {
        self.active.record(status.mode == .fallback || writesRefused ? 1 : 0)
        self.backlog.record(status.journalBacklog)
        let gone = self.eventsInEscrow.withLock { events in
            let now = Set(status.escrow.filter { $0.value > 0 }.keys)
            defer { events = now }
            return events.subtracting(now)
        }
        for event in gone { Self.escrowGauge(of: event).record(0) }
        for (event, tickets) in status.escrow { Self.escrowGauge(of: event).record(tickets) }
    }

    private static func escrowGauge(of event: String) -> Gauge {
        Gauge(label: "ticketd_fallback_escrow_tickets", dimensions: [("event", event)])
    }
}
