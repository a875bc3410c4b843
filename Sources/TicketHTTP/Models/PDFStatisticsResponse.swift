import Hummingbird
import TicketCore
import TicketPDF

/// The body of `GET /admin/pdf-stats`.
///
/// ```json
/// {"files": 1200, "bytes": 4300000, "oldestFile": "2026-11-26T12:00:00.000Z", "backlog": 0, "scanning": false,
///  "workers": 2, "rendered": 1200, "failed": 0, "renderP50Ms": 0.9, "renderP99Ms": 2.1}
/// ```
public struct PDFStatisticsResponse: ResponseEncodable, Sendable, Hashable {
    /// Ticket files on disk.
    public var files: Int
    /// Their total size.
    public var bytes: Int
    /// When the oldest was written, or `nil` when there is none.
    public var oldestFile: String?
    /// Purchases waiting for their ticket or being rendered.
    public var backlog: Int
    /// Whether a ledger scan for purchases without a ticket is running.
    public var scanning: Bool
    /// Background render threads (0: off).
    public var workers: Int
    /// Tickets rendered since start.
    public var rendered: Int
    /// Renders failed since start.
    public var failed: Int
    /// Median render time of recent tickets, in milliseconds.
    public var renderP50Ms: Double?
    /// 99th percentile render time of recent tickets, in milliseconds.
    public var renderP99Ms: Double?

    /// The response for the service's statistics.
    public init(_ statistics: TicketPDFStatistics) {
        self.files = statistics.files
        self.bytes = statistics.bytes
        self.oldestFile = statistics.oldestFileModified.map { Timestamp.iso8601(millis: Int64($0) * 1000) }
        self.backlog = statistics.backlog
        self.scanning = statistics.scanning
        self.workers = statistics.workers
        self.rendered = statistics.rendered
        self.failed = statistics.failed
        self.renderP50Ms = statistics.renderP50.map(Self.milliseconds)
        self.renderP99Ms = statistics.renderP99.map(Self.milliseconds)
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 1000).rounded() / 1000
    }
}
