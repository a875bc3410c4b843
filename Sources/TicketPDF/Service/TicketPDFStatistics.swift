/// The state of the PDF tickets, for `GET /admin/pdf-stats`.
public struct TicketPDFStatistics: Sendable, Hashable {
    /// Ticket files on disk.
    public var files: Int
    /// Their total size in bytes.
    public var bytes: Int
    /// When the oldest file was written, in seconds since 1970, or `nil` when there is none.
    public var oldestFileModified: Int?
    /// Purchases waiting for their ticket or being rendered now (a running ledger scan may find more).
    public var backlog: Int
    /// Whether a ledger scan for purchases without a ticket is running.
    public var scanning: Bool
    /// Background render threads (0: background rendering is off).
    public var workers: Int
    /// Tickets rendered by this process since it started.
    public var rendered: Int
    /// Renders that failed since start.
    public var failed: Int
    /// The median render time of recent tickets, or `nil` before the first.
    public var renderP50: Duration?
    /// The 99th percentile render time of recent tickets, or `nil` before the first.
    public var renderP99: Duration?
}
