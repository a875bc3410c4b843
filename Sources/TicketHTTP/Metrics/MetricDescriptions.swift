/// The `# HELP` text of every metric ticketd exports, in one table.
///
/// Metrics recorded through swift-metrics reach the Prometheus registry without help text (the `MetricsFactory` API
/// has no place for it), and `promtool check metrics` rejects a family without `# HELP`. ``PrometheusExposition``
/// adds the line from this table, or a generic one for a name it does not know, so the whole scrape lints clean.
enum MetricDescriptions {
    /// Help text by metric family name.
    static let byName: [String: String] = [
        "ticketd_purchases_total": "Purchase attempts handled by this instance, by outcome.",
        "ticketd_http_request_duration_seconds": "Time to answer an HTTP request, by route pattern, method and status.",
        "ticketd_event_tickets_capacity": "Tickets seeded for the event (read from the store at scrape time).",
        "ticketd_event_tickets_available": "Tickets of the event still for sale (read from the store at scrape time).",
        "ticketd_event_tickets_sold": "Tickets of the event sold by all instances (read from the store at scrape time).",
        "ticketd_event_stats_scrape_success": "1 if this scrape read every event's counts from the store, else 0 (no answer, or some unreadable).",
        "ticketd_build_info": "Always 1; its version label is this instance's version (APP_VERSION).",
        "ticketd_fallback_active": "1 while this instance sells from its escrow because Redis cannot be reached or takes no writes, else 0.",
        "ticketd_fallback_sales_total": "Tickets this instance sold from its escrow (journaled locally, settled in Redis later).",
        "ticketd_fallback_escrow_tickets": "Tickets of the event in this instance's escrow that it may still sell.",
        "ticketd_fallback_journal_backlog": "Fallback sales in this instance's journal not yet settled in Redis.",
        "ticketd_fallback_settle_conflicts_total":
            "Settled fallback sales that Redis disagreed with (it had sold the same purchase, or the ticket had left the escrow).",
        "ticketd_fallback_escrow_waiting_buyers":
            "Buyers waiting while other instances' escrows hold the last tickets of an event (they hear 503 after three refresh intervals).",
        "ticketd_pdf_rendered_total": "PDF tickets rendered and stored, by trigger (background or on_demand).",
        "ticketd_pdf_render_failures_total": "PDF tickets that could not be rendered or stored, by trigger.",
        "ticketd_pdf_render_duration_seconds": "Time to render one PDF ticket (libharu, QR code, font embedding), without the file write.",
        "ticketd_pdf_backlog": "Purchases queued for their PDF ticket or being rendered now (a ledger scan may find more).",
        "redis_connections": "Redis connections currently open.",
        "redis_circuit_open": "1 while the Redis client's circuit breaker is open (commands fail fast), else 0.",
        "redis_reconnects_total": "Redis reconnect attempts.",
        "redis_commands_total": "Redis commands sent, by command and result.",
        "redis_command_duration_seconds": "Time from sending a Redis command to its reply, by command.",
        "redis_script_noscript_total": "EVALSHA calls answered NOSCRIPT and retried with EVAL.",
    ]

    /// The help text for `name`: from the table, or a generic line.
    static func help(for name: String) -> String {
        Self.byName[name] ?? "\(name), recorded through swift-metrics."
    }
}
