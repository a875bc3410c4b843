import Hummingbird
import TicketPDF

/// The body of `POST /admin/cleanup-tickets`: `{"deleted": 12, "freedBytes": 43000, "maxAgeHours": 24}`.
public struct TicketCleanupResponse: ResponseEncodable, Sendable, Hashable {
    /// Tickets deleted.
    public var deleted: Int
    /// Bytes freed.
    public var freedBytes: Int
    /// The age beyond which tickets were deleted.
    public var maxAgeHours: Double

    /// The response for a cleanup.
    public init(_ result: TicketArchive.CleanupResult, maxAgeHours: Double) {
        self.deleted = result.deleted
        self.freedBytes = result.freedBytes
        self.maxAgeHours = maxAgeHours
    }
}
