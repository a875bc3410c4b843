import Hummingbird
import TicketCore

/// The body of `GET /health`: `{"status": "ok"|"degraded"|"down", "version", "uptimeSeconds", "store": {…}}`.
public struct HealthResponse: ResponseCodable, Sendable, Hashable {
    /// `ok` when the store is up, `degraded` when it is degraded, `down` when it is down (then HTTP 503).
    public var status: String
    /// The running version.
    public var version: String
    /// Seconds since the router was built, with millisecond precision.
    public var uptimeSeconds: Double
    /// The store's own report.
    public var store: StoreHealth

    /// Creates a health report.
    public init(status: String, version: String, uptimeSeconds: Double, store: StoreHealth) {
        self.status = status
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.store = store
    }

    /// The service status for a store status: `up` → `ok`, `down` → `down`, anything else → `degraded`.
    static func status(forStore storeStatus: String) -> String {
        switch storeStatus {
        case "up": "ok"
        case "down": "down"
        default: "degraded"
        }
    }
}
