import Metrics

/// The PDF metrics, recorded through the process's `MetricsSystem`:
/// `ticketd_pdf_rendered_total{trigger}`, `ticketd_pdf_render_failures_total{trigger}`,
/// `ticketd_pdf_render_duration_seconds` and `ticketd_pdf_backlog`.
struct TicketPDFMetrics: Sendable {
    /// Why a ticket was rendered: the `trigger` label.
    enum Trigger: String, Sendable {
        /// By the background workers, after a sale or a ledger scan.
        case background
        /// By a download that found no file.
        case onDemand = "on_demand"
    }

    /// The name of the render duration histogram, for its buckets.
    static let renderDurationName = "ticketd_pdf_render_duration_seconds"

    private let rendered: [Trigger: Counter]
    private let failures: [Trigger: Counter]
    private let duration = Metrics.Timer(label: Self.renderDurationName)
    private let backlog = Gauge(label: "ticketd_pdf_backlog")

    init() {
        var rendered: [Trigger: Counter] = [:]
        var failures: [Trigger: Counter] = [:]
        for trigger in [Trigger.background, .onDemand] {
            rendered[trigger] = Counter(label: "ticketd_pdf_rendered_total", dimensions: [("trigger", trigger.rawValue)])
            failures[trigger] = Counter(label: "ticketd_pdf_render_failures_total", dimensions: [("trigger", trigger.rawValue)])
        }
        self.rendered = rendered
        self.failures = failures
    }

    func recordRender(_ duration: Duration, trigger: Trigger) {
        self.rendered[trigger]?.increment()
        self.duration.recordInterval(duration)
    }

    func recordFailure(trigger: Trigger) { self.failures[trigger]?.increment() }

    func recordBacklog(_ count: Int) { self.backlog.record(count) }
}

extension Metrics.Timer {
    fileprivate func recordInterval(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
